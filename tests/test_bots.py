"""Two-way bots: made on the admin page (key shown once, rotatable), posting and reading
through their API, called (signed, from the outbox) when @mentioned, their answers posted."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import pytest_asyncio
from quart import Quart

from app.actions.bots import add_bot_to_room
from app.errors import BOT_NOT_IN_DIRECT, Forbidden
from app.models import (
    Bot,
    Channel,
    Delivery,
    Membership,
    Message,
    NotificationStatus,
    Room,
    User,
)
from app.outbound import OutboundGuard
from app.polling import stop_task
from config.settings import attach, settings_of
from tests.botserver import BotServer
from tests.helpers import Person, join_path, select, select_one, start_direct, upload
from tests.images import still
from tests.mailbox import eventually
from tests.outbound import Connections, StubDns


@pytest_asyncio.fixture
async def bot_server(app: Quart) -> AsyncIterator[BotServer]:
    """A bot's HTTP server on 127.0.0.1 (allowed by the test settings' OUTBOUND_ALLOWED_NETWORKS);
    the app's bot sender polls every 50 ms and retries after 50 ms."""
    server = BotServer()
    await server.start()
    before = settings_of(app)
    attach(app, replace(before, bot_poll_seconds=0.05, bot_retry_seconds=0.05))
    sender = app.extensions["bots"]
    await stop_task(sender.task)
    sender.task = asyncio.create_task(sender.run())
    yield server
    await stop_task(sender.task)
    await Delivery.filter(channel=Channel.BOT, status=NotificationStatus.PENDING).delete()
    attach(app, before)
    sender.task = asyncio.create_task(sender.run())
    await server.stop()


@dataclass
class StrictGuard:
    """The app's guard as production has it (no private network allowed): names resolve from
    `dns`, and `connections` records every connection attempt."""

    dns: StubDns
    connections: Connections


@pytest.fixture
def strict_guard(app: Quart) -> Iterator[StrictGuard]:
    before: OutboundGuard = app.extensions["outbound"]
    strict = StrictGuard(StubDns({"bots.internal.example": ["93.184.215.16"]}), Connections())
    app.extensions["outbound"] = replace(before, allowed=(), resolve=strict.dns,
                                         connect=strict.connections)
    yield strict
    app.extensions["outbound"] = before


async def make_bot(admin: Person, name: str = "echo", url: str = "") -> tuple[Bot, str, str]:
    """Make a bot on the admin page; its row, and the API key and signing secret shown once."""
    response = await admin.post("/admin/bots", {"bot_name": name, "bot_url": url})
    page = await response.get_data()
    assert response.status_code == 200, page
    bot = await Bot.get(user__username=name)
    return (bot, select_one(page, "input.bot-key-value")["value"],
            select_one(page, "input.bot-secret-value")["value"])


async def add_to_room(admin: Person, bot: Bot, room_id: int) -> None:
    response = await admin.post(f"/admin/bots/{bot.id}/rooms", {"room_id": str(room_id)})
    assert response.status_code == 303, await response.get_data(as_text=True)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def api(app: Quart, method: str, path: str, key: str | None, body: Any = None,
              raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    headers = bearer(key) if key else {}
    client = app.test_client()
    if method == "GET":
        response = await client.get(path, headers=headers)
    else:
        data = raw if raw is not None else json.dumps(body).encode()
        response = await client.post(path, data=data,
                                     headers={**headers, "Content-Type": "application/json"})
    return response.status_code, json.loads(await response.get_data(as_text=True))


async def bot_replies(bot: Bot) -> list[Message]:
    return list(await Message.filter(author_id=bot.user_id).order_by("seq"))


# --- making bots on the admin page ---------------------------------------------------------

async def test_an_administrator_makes_a_bot_and_sees_its_key_once(alice: Person) -> None:
    bot, key, secret = await make_bot(alice, "echo", "https://bots.example.com/echo")

    again = await (await alice.get("/admin")).get_data()

    assert not select(again, "input.bot-key-value")
    assert select_one(again, f".bot[data-bot-id='{bot.id}'] .name").text == "echo"
    assert key.startswith("pbk_") and key not in bot.key_hash and len(secret) == 64
    assert bot.url == "https://bots.example.com/echo"
    user = await User.get(id=bot.user_id)
    assert user.is_bot and user.username_key == "echo" and user.password_hash == "!"


async def test_only_administrators_make_bots_and_only_with_the_forms_token(
        app: Quart, alice: Person, bob: Person) -> None:
    refused = await bob.post("/admin/bots", {"bot_name": "echo"})
    # alice's own browser, but the request does not carry her form's token (another site)
    forged = await alice.client.post("/admin/bots", form={"bot_name": "echo"})

    assert refused.status_code == 403 and forged.status_code == 403
    assert await Bot.all().count() == 0


async def test_bots_and_people_never_share_a_name(alice: Person, bob: Person) -> None:
    await make_bot(alice, "echo")

    as_person = await alice.post("/admin/bots", {"bot_name": "Bob"})
    twice = await alice.post("/admin/bots", {"bot_name": "ECHO"})
    unmentionable = await alice.post("/admin/bots", {"bot_name": "two words"})
    signup = await Person(alice.app, "Echo").post(await join_path(), {
        "username": "Echo", "email": "echo@example.com", "password": "correct horse battery"})

    for response in (as_person, twice):
        assert response.status_code == 400
        assert "bots and people never share a name" in await response.get_data(as_text=True)
    assert unmentionable.status_code == 400
    assert await Bot.all().count() == 1
    assert signup.status_code == 400 and not await User.exists(email="echo@example.com")


async def test_a_new_key_replaces_the_old_one_at_once(app: Quart, alice: Person) -> None:
    bot, old, _ = await make_bot(alice)

    response = await alice.post(f"/admin/bots/{bot.id}/key")
    new = select_one(await response.get_data(), "input.bot-key-value")["value"]

    assert response.status_code == 200 and new != old
    assert (await api(app, "GET", "/api/bot/rooms", old))[0] == 401
    assert await api(app, "GET", "/api/bot/rooms", new) == (200, {"ok": True, "rooms": []})
    assert (await bob_refused(app, alice, bot)) == 403


async def bob_refused(app: Quart, alice: Person, bot: Bot) -> int:
    """What a non-administrator gets for making a new key (bob signs up here)."""
    bob = Person(app, "carol")
    await bob.sign_up()
    return (await bob.post(f"/admin/bots/{bot.id}/key")).status_code


# --- the API -------------------------------------------------------------------------------

async def test_a_bot_lists_its_rooms_reads_and_posts(app: Quart, alice: Person, bob: Person,
                                                     room_id: int) -> None:
    bot, key, _ = await make_bot(alice)
    await alice.create_room("elsewhere")
    await add_to_room(alice, bot, room_id)
    await bob.say(room_id, "first")

    rooms = await api(app, "GET", "/api/bot/rooms", key)
    posted = await api(app, "POST", f"/api/bot/rooms/{room_id}/messages", key,
                       {"text": "Deployed *v2*", "blocks": [
                           {"type": "section", "text": {"type": "mrkdwn", "text": "all green"}}]})
    read = await api(app, "GET", f"/api/bot/rooms/{room_id}/messages?limit=1", key)

    assert rooms[0] == 200 and [r["name"] for r in rooms[1]["rooms"]] == ["general"]
    assert posted[0] == 201 and posted[1]["message"]["seq"] == 2
    message = await Message.get(id=posted[1]["message"]["id"])
    # Slack's blocks are what is shown (its text is their fallback); mrkdwn becomes Markdown
    assert message.author_id == bot.user_id and message.body == "all green"
    assert read[0] == 200 and [m["seq"] for m in read[1]["messages"]] == [2]
    assert read[1]["messages"][0]["author"] == "echo"
    page = await (await bob.get(f"/rooms/{room_id}")).get_data()
    assert select_one(page, f"article[data-author-id='{bot.user_id}'] .bot-badge").text == "bot"


async def test_the_api_refuses_clearly_and_never_fails(app: Quart, alice: Person, bob: Person,
                                                      room_id: int) -> None:
    bot, key, _ = await make_bot(alice)
    await add_to_room(alice, bot, room_id)
    other = await bob.create_room("not for bots")
    path = f"/api/bot/rooms/{room_id}/messages"

    cases = {
        "no key": await api(app, "GET", "/api/bot/rooms", None),
        "another scheme": (await app.test_client().get(
            "/api/bot/rooms", headers={"Authorization": f"Basic {key}"})).status_code,
        "unknown key": await api(app, "POST", path, "pbk_nobody", {"text": "x"}),
        "a room it is not in": await api(app, "POST", f"/api/bot/rooms/{other}/messages", key,
                                         {"text": "x"}),
        "reading a room it is not in": await api(app, "GET", f"/api/bot/rooms/{other}/messages",
                                                 key),
        "no such room": await api(app, "GET", "/api/bot/rooms/999999/messages", key),
        "bad JSON": await api(app, "POST", path, key, raw=b'{"text": "unclosed'),
        "not an object": await api(app, "POST", path, key, ["text"]),
        "nothing to show": await api(app, "POST", path, key, {"text": ""}),
        "a bad limit": await api(app, "GET", path + "?limit=0", key),
    }

    assert cases["no key"][0] == 401 and "Bearer" in cases["no key"][1]["error"]
    assert cases["another scheme"] == 401
    assert cases["unknown key"][0] == 401
    assert cases["a room it is not in"][0] == 403
    assert cases["reading a room it is not in"][0] == 403
    assert cases["no such room"][0] == 404
    assert cases["bad JSON"][0] == 400 and cases["bad JSON"][1]["error"].startswith(
        "invalid_json: ")
    assert cases["not an object"][0] == 400
    assert cases["nothing to show"][0] == 400 and cases["nothing to show"][1]["ok"] is False
    assert cases["a bad limit"][0] == 400
    assert await Message.filter(author_id=bot.user_id).count() == 0


async def test_api_posts_are_rate_limited_per_bot(app: Quart, alice: Person,
                                                  room_id: int) -> None:
    bot, key, _ = await make_bot(alice)
    await add_to_room(alice, bot, room_id)
    client = app.test_client()

    statuses = [(await client.post(f"/api/bot/rooms/{room_id}/messages",
                                   data=json.dumps({"text": f"n{n}"}),
                                   headers=bearer(key))).status_code for n in range(61)]

    assert statuses[:60] == [201] * 60 and statuses[60] == 429


# --- being called when mentioned ------------------------------------------------------------

async def test_a_mention_of_a_bot_in_its_room_queues_one_call(app: Quart, alice: Person,
                                                              bob: Person, room_id: int) -> None:
    bot, key, _ = await make_bot(alice, "echo", "https://bots.example.com/echo")
    api_only, _, _ = await make_bot(alice, "quiet")
    await add_to_room(alice, bot, room_id)
    await add_to_room(alice, api_only, room_id)

    await bob.say(room_id, "no mention here")
    await bob.say(room_id, "@echo and @quiet, ping")
    # a bot's post that names another bot calls nobody: bots never talk in a loop
    await api(app, "POST", f"/api/bot/rooms/{room_id}/messages", key, {"text": "@echo hi me"})

    calls = await Delivery.filter(channel=Channel.BOT).prefetch_related("message")
    assert [(c.user_id, c.message.body, c.kind) for c in calls] == [
        (bot.user_id, "@echo and @quiet, ping", "mention")]


async def test_the_bot_is_called_signed_and_its_answer_appears_in_the_room(
        app: Quart, alice: Person, bob: Person, room_id: int, bot_server: BotServer) -> None:
    bot_server.replies = [(200, "application/json", b'{"text": "pong *fast*"}')]
    bot, _, secret = await make_bot(alice, "echo", bot_server.url)
    await add_to_room(alice, bot, room_id)

    await bob.say(room_id, "@echo ping")
    await eventually(lambda: _count_replies(bot, 1))

    [call] = bot_server.received
    timestamp = call.headers["x-parley-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + call.body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(call.headers["x-parley-signature"], f"sha256={expected}")
    sent = json.loads(call.body)
    mention = await Message.get(body="@echo ping")
    assert sent == {"type": "mention", "bot": "echo", "room_id": room_id, "room_name": "general",
                    "message_id": mention.id, "seq": mention.seq, "author": "bob",
                    "text": "@echo ping", "reply_to": None, "thread_root": None,
                    "timestamp": int(timestamp)}
    [reply] = await bot_replies(bot)
    assert reply.body == "pong **fast**" and reply.reply_to_id == mention.id
    row = await Delivery.get(channel=Channel.BOT)
    assert row.status == NotificationStatus.SENT and row.attempts == 0
    page = await (await bob.get(f"/rooms/{room_id}")).get_data()
    assert "pong" in select_one(page, f"article[data-author-id='{bot.user_id}']").text


async def test_a_plain_text_answer_is_posted_as_it_is(
        alice: Person, bob: Person, room_id: int, bot_server: BotServer) -> None:
    bot_server.replies = [(200, "text/plain; charset=utf-8", "ça marche".encode())]
    bot, _, _ = await make_bot(alice, "echo", bot_server.url)
    await add_to_room(alice, bot, room_id)

    await bob.say(room_id, "hey @echo.")
    await eventually(lambda: _count_replies(bot, 1))

    assert [m.body for m in await bot_replies(bot)] == ["ça marche"]


async def test_a_failing_bot_is_called_again_after_a_back_off_and_answered_once(
        alice: Person, bob: Person, room_id: int, bot_server: BotServer) -> None:
    bot_server.replies = [(500, "text/plain", b"oops"), (200, "application/json",
                                                         b'{"text": "better now"}')]
    bot, _, _ = await make_bot(alice, "echo", bot_server.url)
    await add_to_room(alice, bot, room_id)

    await bob.say(room_id, "@echo status?")
    await eventually(lambda: _count_replies(bot, 1))
    await eventually(_bot_row_sent)

    assert len(bot_server.received) == 2
    # the same call again, signed afresh (a new timestamp when a second has passed)
    first, second = (json.loads(call.body) for call in bot_server.received)
    assert first["message_id"] == second["message_id"] and first["text"] == second["text"]
    row = await Delivery.get(channel=Channel.BOT)
    assert row.attempts == 1 and row.last_error == "the bot answered 500"
    assert [m.body for m in await bot_replies(bot)] == ["better now"]


async def test_a_bot_whose_name_turns_private_is_never_connected_to(
        alice: Person, bob: Person, room_id: int, bot_server: BotServer,
        strict_guard: StrictGuard) -> None:
    bot, _, _ = await make_bot(alice, "echo", "https://bots.internal.example/hook")
    await add_to_room(alice, bot, room_id)
    strict_guard.dns.names["bots.internal.example"] = ["10.1.2.3"]  # DNS rebinding

    await bob.say(room_id, "@echo are you there?")
    await eventually(_bot_row_failed)

    row = await Delivery.get(channel=Channel.BOT)
    assert row.last_error.startswith("refused: ") and "10.1.2.3" in row.last_error
    assert strict_guard.connections.attempts == [] and bot_server.received == []
    assert await bot_replies(bot) == []


async def test_a_bot_at_a_private_or_plain_http_address_is_refused_when_made(
        alice: Person, strict_guard: StrictGuard) -> None:
    strict_guard.dns.names["intranet.example"] = ["192.168.1.20"]
    cases = {"http://127.1:8080/bot": "loopback", "https://intranet.example/bot": "private",
             "http://bots.internal.example/bot": "https://", "ftp://bots.example.com/": "https://"}

    for url, reason in cases.items():
        response = await alice.post("/admin/bots", {"bot_name": "echo", "bot_url": url})
        page = await response.get_data()
        assert response.status_code == 400, url
        assert reason in select_one(page, "#bot_url-error").text, url
    assert await Bot.all().count() == 0 and strict_guard.connections.attempts == []


# --- bots apart from people, and out of private conversations ------------------------------

async def test_bots_are_never_suggested_as_people(alice: Person, bob: Person,
                                                  room_id: int) -> None:
    bot, _, _ = await make_bot(alice, "echo")
    await add_to_room(alice, bot, room_id)

    for prefix in ("e", "ec", "echo", "%40ec"):
        response = await bob.get(f"/users/search?q={prefix}")
        assert [o["value"] for o in select(await response.get_data(), "option")] == []
    people = await (await bob.get("/dm")).get_data()
    assert "echo" not in " ".join(t.text for t in select(people, ".contact, option, label"))


async def test_a_bot_never_joins_a_private_conversation(alice: Person, bob: Person) -> None:
    bot, _, _ = await make_bot(alice, "echo")
    direct = await start_direct(alice, "bob")

    new_message = await bob.post("/dm", {"username": "echo"})
    added = await alice.post(f"/rooms/{direct}/members", {"username": "echo"})
    shown = await (await alice.get(added.headers["Location"])).get_data(as_text=True)

    assert new_message.status_code == 403
    assert "cannot read sealed text" in await new_message.get_data(as_text=True)
    assert added.status_code == 303 and "cannot read sealed text" in shown
    with pytest.raises(Forbidden, match="cannot read sealed text"):
        await add_bot_to_room(bot, await Room.get(id=direct))
    assert BOT_NOT_IN_DIRECT.startswith("A bot cannot join a private conversation")


async def _count_replies(bot: Bot, count: int) -> bool:
    return await Message.filter(author_id=bot.user_id).count() >= count


async def _bot_row_sent() -> bool:
    return await Delivery.filter(channel=Channel.BOT, status=NotificationStatus.SENT).exists()


async def _bot_row_failed() -> bool:
    return await Delivery.filter(channel=Channel.BOT, status=NotificationStatus.FAILED).exists()


# --- a bot's photo and rooms -----------------------------------------------------------------

async def test_the_administrator_gives_a_bot_a_photo(alice: Person, bob: Person) -> None:
    bot, _, _ = await make_bot(alice)

    done = await alice.post(f"/admin/bots/{bot.id}/avatar",
                            files={"avatar": upload(still("PNG", (300, 200)), "bot.png")})
    empty = await alice.post(f"/admin/bots/{bot.id}/avatar", {})
    not_admin = await bob.post(f"/admin/bots/{bot.id}/avatar",
                               files={"avatar": upload(still("PNG"), "bot.png")})

    assert done.status_code == 303 and empty.status_code == 400 and not_admin.status_code == 403
    user = await User.get(id=bot.user_id)
    assert user.avatar_key and user.avatar_thumb_key
    page = await (await alice.get("/admin")).get_data()
    assert select_one(page, f".bot[data-bot-id='{bot.id}'] img.avatar")["src"] == \
        f"/media/{user.avatar_thumb_key}"


async def test_the_administrator_and_the_rooms_owner_take_a_bot_out(
        alice: Person, bob: Person, room_id: int) -> None:
    bot, _, _ = await make_bot(alice)
    await add_to_room(alice, bot, room_id)
    again = await alice.post(f"/admin/bots/{bot.id}/rooms", {"room_id": str(room_id)})
    assert again.status_code == 303 and await _member(bot, room_id)

    by_admin = await alice.post(f"/admin/bots/{bot.id}/rooms/{room_id}/deletion")
    assert by_admin.status_code == 303 and not await _member(bot, room_id)

    await add_to_room(alice, bot, room_id)
    by_bob = await bob.post(f"/rooms/{room_id}/members/{bot.user_id}/removal")  # not the owner
    by_owner = await alice.post(f"/rooms/{room_id}/members/{bot.user_id}/removal")
    assert by_bob.status_code == 403 and by_owner.status_code == 303
    assert not await _member(bot, room_id)


async def _member(bot: Bot, room_id: int) -> bool:
    return await Membership.exists(room_id=room_id, user_id=bot.user_id)


async def test_a_session_cookie_is_never_a_bots_permission(alice: Person, room_id: int) -> None:
    bot, _, _ = await make_bot(alice)
    await add_to_room(alice, bot, room_id)

    # the administrator's browser, from another site, without a key: the API ignores cookies
    cross_site = await alice.client.post(f"/api/bot/rooms/{room_id}/messages",
                                         json={"text": "forged"},
                                         headers={"Origin": "https://evil.example"})

    assert cross_site.status_code == 401
    assert await Message.all().count() == 0


async def test_hostile_json_to_the_api_is_refused_with_a_reason(app: Quart, alice: Person,
                                                                room_id: int) -> None:
    from tests.test_hostile_input import HOSTILE_JSON

    bot, key, _ = await make_bot(alice)
    await add_to_room(alice, bot, room_id)

    for label, raw in HOSTILE_JSON.items():
        status, answer = await api(app, "POST", f"/api/bot/rooms/{room_id}/messages", key,
                                   raw=raw)
        assert 400 <= status < 500 and answer["ok"] is False and answer["error"], label
    assert await Message.all().count() == 0

"""Incoming webhooks: made by members, posted to by scripts as a bot, revocable, rate-limited."""

from __future__ import annotations

import json

import pytest
from quart import Quart

from app.actions.direct_rooms import start_direct_room
from app.models import Delivery, Membership, Message, NotificationKind, Room, User, Webhook
from app.security import CSRF_EXEMPT_ENDPOINTS
from tests.helpers import Person, join_path, select, select_one
from tests.live import frame_matching, registered, socket


async def _make_webhook(person: Person, room_id: int, name: str = "CI") -> str:
    """Create a webhook through the page; return the path of its secret URL (shown once)."""
    response = await person.post(f"/rooms/{room_id}/webhooks", {"name": name})
    assert response.status_code == 303, await response.get_data(as_text=True)
    page = await (await person.get(response.headers["Location"])).get_data()
    url = select_one(page, "input#new-webhook-url")["value"]
    return url[url.index("/hooks/"):]


async def _post_json(app: Quart, path: str, payload: object) -> tuple[int, str]:
    response = await app.test_client().post(path, data=json.dumps(payload),
                                            headers={"Content-Type": "application/json"})
    return response.status_code, await response.get_data(as_text=True)


async def test_the_url_is_shown_once_and_only_its_hash_is_kept(alice: Person, room_id: int) -> None:
    path = await _make_webhook(alice, room_id)

    again = await (await alice.get(f"/rooms/{room_id}/webhooks")).get_data()

    assert not select(again, "input#new-webhook-url")
    assert select_one(again, ".webhook .name").text == "CI"
    webhook = await Webhook.get()
    assert path.rsplit("/", 1)[-1] not in webhook.token_hash


async def test_a_slack_style_json_payload_posts_as_the_bot(app: Quart, alice: Person, bob: Person,
                                                           room_id: int) -> None:
    path = await _make_webhook(bob, room_id, "Deploy bot")

    status, body = await _post_json(app, path, {"text": "Deployed *v1.2* to production"})

    assert (status, body) == (200, "ok")
    message = await Message.get().prefetch_related("author")
    # Slack's *bold* is Markdown's **bold**
    assert message.body == "Deployed **v1.2** to production" and message.seq == 1
    assert message.author.is_bot and message.author.username == "Deploy bot"
    page = await (await alice.get(f"/rooms/{room_id}")).get_data()
    shown = select_one(page, f"article[data-author-id='{message.author_id}']")
    assert shown.select_one(".author").text == "Deploy bot"
    assert shown.select_one(".bot-badge").text == "bot"


async def test_a_form_field_named_text_posts_too(app: Quart, alice: Person, room_id: int) -> None:
    path = await _make_webhook(alice, room_id)

    response = await app.test_client().post(path, form={"text": "from curl -d text=..."})

    assert response.status_code == 200
    assert [m.body for m in await Message.all()] == ["from curl -d text=..."]


async def test_slacks_form_encoded_payload_field_posts_too(app: Quart, alice: Person,
                                                           room_id: int) -> None:
    path = await _make_webhook(alice, room_id)

    response = await app.test_client().post(path, form={"payload": '{"text": "legacy"}'})

    assert response.status_code == 200
    assert [m.body for m in await Message.all()] == ["legacy"]


async def test_bad_payloads_are_refused_in_plain_words(app: Quart, alice: Person,
                                                       room_id: int) -> None:
    path = await _make_webhook(alice, room_id)
    client = app.test_client()

    no_text = await _post_json(app, path, {"attachments": []})
    not_json = await client.post(path, data="{oops", headers={"Content-Type": "application/json"})
    a_list = await _post_json(app, path, ["text"])
    blank = await client.post(path, form={"text": "   "})

    assert no_text[0] == 400 and no_text[1].startswith("no_text:")
    assert not_json.status_code == 400
    assert (await not_json.get_data(as_text=True)).startswith("invalid_payload:")
    assert a_list[0] == 400 and blank.status_code == 400
    assert await Message.all().count() == 0


@pytest.mark.parametrize(("body", "reason"), [
    ('{"text": ' + "[" * 10_000 + "]" * 10_000 + "}", "nested too deeply"),  # < 64 KiB as a form
    ('{"text": "a\\u0000b"}', "characters we cannot store"),
    ('{"text": "\\ud800"}', "characters we cannot store"),
    ('{"text": "hi", "count": 1e400}', "too large"),
    ('{"text": "hi", "count": NaN}', "not a number JSON allows"),
], ids=["nested 10,000 deep", "NUL", "lone surrogate", "1e400", "NaN"])
async def test_payloads_that_crashed_the_hook_are_refused_in_plain_words(
        app: Quart, alice: Person, room_id: int, body: str, reason: str) -> None:
    path = await _make_webhook(alice, room_id)
    client = app.test_client()

    as_json = await client.post(path, data=body, headers={"Content-Type": "application/json"})
    as_form = await client.post(path, form={"payload": body})

    for response in (as_json, as_form):
        text = await response.get_data(as_text=True)
        assert response.status_code == 400, text
        assert text.startswith("invalid_payload:") and reason in text
    assert await Message.all().count() == 0


async def test_oversized_text_and_bodies_are_refused(app: Quart, alice: Person, room_id: int) -> None:
    path = await _make_webhook(alice, room_id)

    long_text = await _post_json(app, path, {"text": "x" * 10_001})
    huge_body = await _post_json(app, path, {"text": "y", "padding": "z" * 70_000})

    assert long_text[0] == 400 and "at most 10,000 characters" in long_text[1]
    assert huge_body[0] == 413 and huge_body[1].startswith("payload_too_large")
    assert await Message.all().count() == 0


async def test_a_wrong_token_is_not_found(app: Quart, alice: Person, room_id: int) -> None:
    await _make_webhook(alice, room_id)

    status, body = await _post_json(app, "/hooks/not-a-real-token", {"text": "hi"})

    assert status == 404 and body.startswith("no_service")
    assert await Message.all().count() == 0


async def test_a_revoked_webhook_stops_working(app: Quart, alice: Person, bob: Person,
                                               room_id: int) -> None:
    path = await _make_webhook(bob, room_id)
    webhook = await Webhook.get()

    not_theirs = await Person(app, "x").client.post(path, form={"text": "before"})
    response = await bob.post(f"/rooms/{room_id}/webhooks/{webhook.id}/revocation")
    status, body = await _post_json(app, path, {"text": "after"})

    assert not_theirs.status_code == 200 and response.status_code == 303
    assert status == 410 and "revoked" in body
    assert [m.body for m in await Message.all()] == ["before"]
    page = await (await bob.get(f"/rooms/{room_id}/webhooks")).get_data()
    assert not select(page, ".webhook")


async def test_the_owner_may_revoke_any_webhook_other_members_only_their_own(
        alice: Person, bob: Person, mallory: Person, room_id: int) -> None:
    await mallory.join(room_id)
    await _make_webhook(bob, room_id)
    webhook = await Webhook.get()

    refused = await mallory.post(f"/rooms/{room_id}/webhooks/{webhook.id}/revocation")
    revoked = await alice.post(f"/rooms/{room_id}/webhooks/{webhook.id}/revocation")

    assert refused.status_code == 403 and revoked.status_code == 303


async def test_posts_are_rate_limited_per_webhook(app: Quart, alice: Person, room_id: int) -> None:
    path = await _make_webhook(alice, room_id)
    client = app.test_client()

    statuses = [(await client.post(path, form={"text": f"n{n}"})).status_code for n in range(61)]

    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    assert await Message.all().count() == 60


async def test_a_webhook_post_arrives_live(app: Quart, alice: Person, bob: Person,
                                           room_id: int) -> None:
    path = await _make_webhook(alice, room_id)
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await _post_json(app, path, {"text": "build #42 passed"})

        frame = await frame_matching(ws, ".message")
    assert select_one(frame, ".body").text == "build #42 passed"
    assert select_one(frame, ".bot-badge")


async def test_a_mention_from_a_webhook_takes_the_email_path(app: Quart, alice: Person,
                                                             bob: Person, room_id: int) -> None:
    path = await _make_webhook(alice, room_id)

    await _post_json(app, path, {"text": "@bob the build broke"})

    row = await Delivery.emails().get(user_id=bob.user_id)
    bot = await User.get(is_bot=True)
    assert (row.kind, row.actor_id) == (NotificationKind.MENTION, bot.id)


async def test_the_bot_is_nobody_to_log_in_as_or_invite(app: Quart, alice: Person,
                                                        room_id: int) -> None:
    await _make_webhook(alice, room_id, "alice2")
    bot = await User.get(is_bot=True)

    login = await Person(app, "x").post("/login", {"username": bot.username_key, "password": "!"})
    found = await (await alice.get("/users/search?q=alice")).get_data(as_text=True)

    assert login.status_code == 400
    assert "alice2" not in found


async def test_only_the_webhook_url_is_exempt_from_csrf(app: Quart, alice: Person,
                                                        room_id: int) -> None:
    path = await _make_webhook(alice, room_id)

    # A cross-site form post to the webhook, with alice's cookie: it posts as the bot, never
    # as alice (the route ignores sessions), which is all the URL's holder could do anyway.
    cross_site = await alice.client.post(path, form={"text": "from elsewhere"},
                                         headers={"Origin": "https://evil.example"})
    no_token = await alice.client.post(f"/rooms/{room_id}/webhooks", form={"name": "sneaky"})
    forged = await alice.client.post(f"/rooms/{room_id}/webhooks", form={"name": "sneaky"},
                                     headers={"Origin": "https://evil.example"})

    # (and the bot API's post, whose Bearer key is the permission: tests/test_bots.py)
    assert CSRF_EXEMPT_ENDPOINTS == {"mail.unsubscribe_now", "hooks.deliver",
                                     "bot_api.post_message"}
    assert cross_site.status_code == 200
    message = await Message.get().prefetch_related("author")
    assert message.author.is_bot and message.author_id != alice.user_id
    assert no_token.status_code == 403 and forged.status_code == 403
    assert await Webhook.all().count() == 1


async def test_a_webhook_needs_a_name(alice: Person, room_id: int) -> None:
    response = await alice.post(f"/rooms/{room_id}/webhooks", {"name": " "})

    assert response.status_code == 400
    assert "name" in select_one(await response.get_data(), "#name-error").text


async def test_webhooks_never_post_into_a_private_conversation(alice: Person, bob: Person,
                                                               room_id: int) -> None:
    alice_user, bob_user = await User.get(id=alice.user_id), await User.get(id=bob.user_id)
    direct = await start_direct_room(alice_user, [bob_user])

    page = await alice.get(f"/rooms/{direct.id}/webhooks")
    made = await alice.post(f"/rooms/{direct.id}/webhooks", {"name": "CI"})

    assert page.status_code == 403 and made.status_code == 403
    assert "private conversations" in select_one(await made.get_data(), ".error-page p").text
    assert await Webhook.all().count() == 0


async def test_a_removed_members_webhook_no_longer_posts_into_the_private_room(
        app: Quart, alice: Person, bob: Person, private_room: int) -> None:
    path = await _make_webhook(bob, private_room, "bob's script")
    bot = await User.get(is_bot=True)

    removed = await alice.post(f"/rooms/{private_room}/members/{bob.user_id}/removal")
    status, body = await _post_json(app, path, {"text": "@alice still listening"})

    assert removed.status_code == 303
    assert status == 410 and "revoked" in body
    assert await Message.all().count() == 0
    assert not await Delivery.emails().filter(user_id=alice.user_id).exists()
    assert not await Membership.exists(room_id=private_room, user_id=bot.id)


async def test_a_member_who_leaves_takes_their_webhooks_but_not_the_others(
        app: Quart, alice: Person, bob: Person, private_room: int) -> None:
    bobs = await _make_webhook(bob, private_room, "bob's script")
    alices = await _make_webhook(alice, private_room, "alice's script")

    await bob.post(f"/rooms/{private_room}/membership/deletion")

    assert (await _post_json(app, bobs, {"text": "from bob's"}))[0] == 410
    assert await _post_json(app, alices, {"text": "from alice's"}) == (200, "ok")
    page = await (await alice.get(f"/rooms/{private_room}/webhooks")).get_data()
    assert [n.text for n in select(page, ".webhook .name")] == ["alice's script"]


async def test_a_bot_neither_inherits_a_private_room_nor_keeps_it_alive(
        app: Quart, alice: Person, bob: Person, private_room: int) -> None:
    path = await _make_webhook(bob, private_room, "left behind")
    # As an older version left things: bob gone, his webhook's bot still in the room.
    await Membership.filter(room_id=private_room, user_id=bob.user_id).delete()

    await alice.post(f"/rooms/{private_room}/membership/deletion")

    room = await Room.get(id=private_room)
    assert room.owner_id is None and room.archived_at is not None
    assert (await _post_json(app, path, {"text": "anyone?"}))[0] == 410
    assert not await Membership.exists(room_id=private_room)


@pytest.mark.parametrize("name", ["bob", "BOB", " Bob ", "@bob", "\uff42\uff4f\uff42"],
                         ids=["same", "upper case", "spaced", "at-sign", "fullwidth"])
async def test_a_webhook_cannot_take_a_persons_name(alice: Person, bob: Person, room_id: int,
                                                    name: str) -> None:
    response = await alice.post(f"/rooms/{room_id}/webhooks", {"name": name})

    assert response.status_code == 400
    assert "Someone here is called" in select_one(await response.get_data(), "#name-error").text
    assert await Webhook.all().count() == 0
    assert (await alice.post(f"/rooms/{room_id}/webhooks", {"name": "bob's CI"})).status_code \
        == 303


async def test_nobody_can_sign_up_with_a_bots_name(app: Quart, alice: Person,
                                                   room_id: int) -> None:
    await _make_webhook(alice, room_id, "Deploy-Bot")
    impostor = Person(app, "deploy-bot")

    response = await impostor.post(await join_path(), {
        "username": "deploy-bot", "email": "impostor@example.com", "password": "long enough pw"})

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#username-error").text == \
        "That username is taken."
    assert not await User.exists(username_key="deploy-bot")


async def test_a_deactivated_members_webhooks_stop_posting(app: Quart, alice: Person,
                                                           bob: Person, room_id: int) -> None:
    path = await _make_webhook(bob, room_id, "bob's script")

    deactivated = await alice.post(f"/admin/users/{bob.user_id}/deactivation")
    status, body = await _post_json(app, path, {"text": "still here"})

    assert deactivated.status_code == 303
    assert status == 410 and "revoked" in body
    assert await Message.all().count() == 0


async def test_a_webhooks_bot_in_the_member_list_is_marked_and_offers_no_private_message(
        alice: Person, bob: Person, room_id: int) -> None:
    await _make_webhook(bob, room_id, "Deploy bot")

    page = await (await alice.get(f"/rooms/{room_id}")).get_data()

    bot = next(m for m in select(page, ".members .member")
               if m.select_one(".member-name").text == "Deploy bot")
    assert bot.select_one(".bot-badge").text == "bot"
    assert bot.select(".dm-link") == []
    bob_row = next(m for m in select(page, ".members .member")
                   if m.select_one(".member-name").text == "bob")
    assert bob_row.select(".dm-link") != []

"""Live rooms over the WebSocket (Quart test client, real bus): frames, refusals, typing, unread."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.actions.messages import create_message
from app.models import Membership, Presence, Room, User
from app.queries.presence import HEARTBEAT_SECONDS, STALE_AFTER, is_online
from app.realtime.connections import QUEUE_FRAMES
from tests.helpers import Person, select, select_one
from tests.images import still
from tests.live import (
    SocketClosed,
    frame_matching,
    next_frame,
    presence_snapshot,
    ready,
    registered,
    socket,
)
from tests.mailbox import eventually


async def test_a_member_receives_the_new_message_as_an_oob_frame(alice: Person, bob: Person,
                                                                 room_id: int) -> None:
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await alice.say(room_id, "hello <live>", client_msg_id="live-000000000001")

        # (bob's join may still be on its way as a member-list frame: skip to the message)
        frame = await frame_matching(ws, "article#message-live-000000000001")
    wrapper = select_one(frame, f"#room-{room_id}-messages")
    assert wrapper["hx-swap-oob"] == "beforeend"
    article = select_one(frame, "article#message-live-000000000001")
    assert article["data-seq"] == "1" and article["data-author-id"] == str(alice.user_id)
    assert select_one(frame, ".body").text == "hello <live>"


async def test_the_first_frame_says_the_socket_hears_its_room_so_nothing_after_it_is_missed(
        alice: Person, bob: Person, room_id: int) -> None:
    # The page catches up from the table on this frame (static/js/live.js), not on the socket's
    # open: a message committed between the open and the routing would otherwise reach neither.
    async with socket(bob, room_id) as ws:
        await ready(ws)
        routed = [c.user_id for c in bob.app.extensions["realtime"].registry.viewers(room_id)]

        await alice.say(room_id, "right after ready", client_msg_id="ready-00000000001")
        frame = await frame_matching(ws, "article#message-ready-00000000001")

    assert routed == [bob.user_id]
    assert select_one(frame, ".body").text == "right after ready"


async def test_a_posted_message_is_rendered_once_for_its_poster_and_the_sockets(
        alice: Person, bob: Person, room_id: int) -> None:
    cache = alice.app.extensions["fragment_cache"]
    before = cache.renders
    async with socket(bob, room_id) as ws:
        await ready(ws)
        answer = await alice.say(room_id, "once **only**", client_msg_id="once-000000000001",
                                 htmx=True)
        frame = await frame_matching(ws, "article#message-once-000000000001")

    posted = select_one(await answer.get_data(as_text=True), "article")
    pushed = select_one(frame, "article#message-once-000000000001")
    assert str(pushed) == str(posted)  # the same fragment, whichever rendered it first
    assert cache.renders - before == 1


async def test_a_batch_that_fails_to_render_costs_nothing_the_client_catches_up(
        alice: Person, bob: Person, room_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.live_views import messages as message_views

    real_render = message_views.message_html

    def broken_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(message_views, "message_html", real_render)
        raise RuntimeError("a template bug")

    async with socket(bob, room_id) as ws:
        await ready(ws)  # its first frame rendered (the presence dots) and sent
        monkeypatch.setattr(message_views, "message_html", broken_once)
        await alice.say(room_id, "not lost", client_msg_id="lost-000000000001")

        with pytest.raises(SocketClosed) as closed:
            while True:  # (bob's join may still be on its way as a member-list frame)
                assert "lost-000000000001" not in await next_frame(ws)

    # The page's reconnect catches up from its last message, and gets this one.
    html = await (await bob.get(f"/rooms/{room_id}/messages?after=0")).get_data()
    assert closed.value.code == 1012
    assert [m.select_one(".body").text for m in select(html, ".message")] == ["not lost"]


async def test_a_non_member_gets_no_frame_of_a_room(alice: Person, bob: Person, mallory: Person,
                                                    room_id: int) -> None:
    other_room = await mallory.create_room("mallory's own")
    async with socket(mallory, room_id) as ws:
        await registered(mallory)

        await alice.say(room_id, "members only")
        await bob.join(other_room)
        await bob.say(other_room, "after the first")

        frame = await next_frame(ws)
    assert "members only" not in frame
    assert select(frame, f"#room-{other_room}-unread")  # the first frame is the later event's


async def test_a_logged_out_socket_is_closed_with_policy_violation(app, room_id: int) -> None:
    anonymous = Person(app, "anon")

    async with socket(anonymous, room_id) as ws:
        with pytest.raises(SocketClosed) as closed:
            await next_frame(ws)

    assert closed.value.code == 1008


async def test_a_foreign_origin_is_refused(bob: Person, room_id: int) -> None:
    async with socket(bob, room_id, headers={"Origin": "https://evil.example"}) as ws:
        with pytest.raises(SocketClosed) as closed:
            await next_frame(ws)

    assert closed.value.code == 1008


@pytest.mark.parametrize("query", ["room=99999999999999999999", "room=-1", "room=abc"])
async def test_an_id_no_database_could_hold_closes_the_socket_as_invalid(bob: Person,
                                                                         query: str) -> None:
    async with bob.client.websocket(f"/ws?{query}") as ws:
        with pytest.raises(SocketClosed) as closed:
            await next_frame(ws)

    assert closed.value.code == 1007


async def test_a_failing_background_job_is_logged_and_runs_again(
        caplog: pytest.LogCaptureFixture) -> None:
    from app.realtime.runtime import _every

    ran_again = asyncio.Event()
    calls = []

    async def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        ran_again.set()

    loop = asyncio.create_task(_every(0, flaky))
    await ran_again.wait()
    loop.cancel()

    failures = [r for r in caplog.records if r.name == "parley.realtime"]
    assert len(failures) == 1
    assert "flaky" in failures[0].getMessage()
    assert failures[0].exc_info[1].args == ("the database went away",)


async def test_typing_shows_to_others_and_expires(alice: Person, bob: Person, room_id: int) -> None:
    async with socket(alice, room_id) as alice_ws, socket(bob, room_id) as bob_ws:
        await registered(alice)
        await registered(bob)

        await alice_ws.send('{"type": "typing", "HEADERS": {"HX-Request": "true"}}')
        shown = await frame_matching(bob_ws, f"#room-{room_id}-typing")
        cleared = await frame_matching(bob_ws, f"#room-{room_id}-typing")

    assert select_one(shown, ".typing").text == "alice is typing…"
    assert select_one(shown, ".typing")["hx-swap-oob"] == "true"
    assert select_one(cleared, ".typing").text == ""


async def test_typing_disappears_when_the_typist_sends(alice: Person, bob: Person,
                                                       room_id: int) -> None:
    async with socket(alice, room_id) as alice_ws, socket(bob, room_id) as bob_ws:
        await registered(alice)
        await registered(bob)
        await alice_ws.send('{"type": "typing"}')
        await frame_matching(bob_ws, f"#room-{room_id}-typing")

        await alice.say(room_id, "done typing")

        await frame_matching(bob_ws, ".message")
        cleared = await frame_matching(bob_ws, f"#room-{room_id}-typing")
    assert select_one(cleared, ".typing").text == ""


async def test_typing_of_two_and_of_many(app, alice: Person, bob: Person, room_id: int) -> None:
    carol, dave = Person(app, "carol"), Person(app, "dave")
    for person in (carol, dave):
        await person.sign_up()
        await person.join(room_id)
    sockets = [socket(p, room_id) for p in (alice, bob, carol, dave)]
    async with sockets[0] as a, sockets[1] as b, sockets[2] as c, sockets[3] as d:
        for person in (alice, bob, carol, dave):
            await registered(person)

        await a.send('{"type": "typing"}')
        await frame_matching(d, ".typing")
        await b.send('{"type": "typing"}')
        two = await frame_matching(d, ".typing")
        await c.send('{"type": "typing"}')
        many = await frame_matching(d, ".typing")
        alice_view = await frame_matching(a, ".typing")  # alice never sees herself
        while "carol" not in select_one(alice_view, ".typing").text:
            alice_view = await frame_matching(a, ".typing")

    assert select_one(two, ".typing").text == "alice and bob are typing…"
    assert select_one(many, ".typing").text == "Several people are typing…"
    assert select_one(alice_view, ".typing").text == "bob and carol are typing…"


async def test_unread_counts_arrive_on_other_pages_and_clear_when_read(alice: Person, bob: Person,
                                                                       room_id: int) -> None:
    await bob.post(f"/rooms/{room_id}/involvement", {"involvement": "everything"})  # counted
    async with socket(bob) as rooms_page, socket(bob, room_id) as room_tab:
        await registered(bob, sockets=2)

        await alice.say(room_id, "one")
        await alice.say(room_id, "two")
        first = await frame_matching(rooms_page, f"#room-{room_id}-unread")
        second = await frame_matching(rooms_page, f"#room-{room_id}-unread")
        await frame_matching(room_tab, ".message")
        await frame_matching(room_tab, ".message")
        await room_tab.send('{"type": "read", "seq": 2}')
        cleared = await frame_matching(rooms_page, f"#room-{room_id}-unread")

    assert select_one(first, ".unread").text == "1"
    assert select_one(second, ".unread").text == "2"
    assert select_one(cleared, ".unread").text == ""


async def test_a_socket_leaves_a_presence_row_only_while_open(bob: Person, room_id: int) -> None:
    async with socket(bob, room_id):
        await registered(bob)
        assert await Presence.filter(user_id=bob.user_id, room_id=room_id).count() == 1

    await eventually(lambda: _no_presence(bob.user_id))


async def _no_presence(user_id: int) -> bool:
    return not await Presence.filter(user_id=user_id).exists()


async def test_an_open_socket_keeps_its_user_online_through_the_presence_heartbeat(
        bob: Person, room_id: int) -> None:
    # The app hands the transport this job (app/__init__.py): without it every user would look
    # offline a minute after connecting, and be e-mailed and pushed what their open tab shows.
    async with socket(bob, room_id):
        await registered(bob)
        await Presence.filter(user_id=bob.user_id).update(
            heartbeat_at=datetime.now(UTC) - STALE_AFTER * 2)
        assert not await is_online(bob.user_id)

        await eventually(lambda: is_online(bob.user_id), timeout=HEARTBEAT_SECONDS * 3)


async def test_a_flood_of_frames_closes_the_socket(bob: Person, room_id: int) -> None:
    async with socket(bob, room_id) as ws:
        await registered(bob)

        for _ in range(40):
            await ws.send('{"type": "noise"}')

        with pytest.raises(SocketClosed) as closed:
            while True:
                await next_frame(ws)
    assert closed.value.code == 1008


async def test_an_oversized_frame_closes_the_socket(bob: Person, room_id: int) -> None:
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await ws.send("x" * (64 * 1024 + 1))

        with pytest.raises(SocketClosed) as closed:
            await next_frame(ws)
    assert closed.value.code == 1009


async def test_a_client_too_slow_to_keep_up_is_closed_to_catch_up_later(
        alice: Person, bob: Person, room_id: int) -> None:
    room = await Room.get(id=room_id)
    author = await User.get(id=alice.user_id)
    async with socket(bob, room_id) as ws:
        await registered(bob)
        ws.stall()

        for n in range(QUEUE_FRAMES + 10):
            await create_message(room, author, f"burst {n}", None, max_chars=100,
                                 grace=timedelta(0))

        with pytest.raises(SocketClosed) as closed:
            while True:
                await next_frame(ws)
    assert closed.value.code == 1013


async def test_a_reconnecting_client_receives_exactly_the_50_it_missed(alice: Person, bob: Person,
                                                                       room_id: int) -> None:
    await alice.say(room_id, "seen before the drop")
    async with socket(bob, room_id) as ws:
        await registered(bob)
        await alice.say(room_id, "seen live")
        seen = await frame_matching(ws, ".message")
    last_seen = int(select_one(seen, ".message")["data-seq"])

    for n in range(50):
        await alice.say(room_id, f"missed {n}")
    async with socket(bob, room_id):
        await registered(bob)
        catch_up = await (await bob.get(f"/rooms/{room_id}/messages?after={last_seen}")).get_data()

    bodies = [m.select_one(".body").text for m in select(catch_up, ".message")]
    assert bodies == [f"missed {n}" for n in range(50)]
    assert [int(m["data-seq"]) for m in select(catch_up, ".message")] == list(range(3, 53))


async def test_an_image_message_is_pushed_with_its_thumbnail(alice: Person, bob: Person,
                                                             room_id: int) -> None:
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await alice.post_image(room_id, still("PNG"), body="look")

        frame = await frame_matching(ws, ".message")
    thumb = select_one(frame, ".message .attachment img")
    assert thumb["src"].startswith("/media/") and thumb["width"] and thumb["height"]
    assert select_one(frame, ".message a.attachment")["href"].startswith("/media/")


async def test_an_archived_room_hears_no_more_typing(alice: Person, bob: Person,
                                                     mallory: Person, room_id: int) -> None:
    await mallory.join(room_id)
    await alice.say(room_id, "before the archive")
    async with socket(alice, room_id) as alice_ws, socket(bob, room_id) as bob_ws:
        await registered(alice)
        await registered(bob)
        assert (await alice.post(f"/admin/rooms/{room_id}/archival")).status_code == 303

        await bob_ws.send('{"type": "typing"}')
        await bob_ws.send('{"type": "read", "seq": 1}')  # handled after the typing ping
        await eventually(lambda: _read_up_to(bob, room_id, 1))
        assert (await alice.post(f"/admin/rooms/{room_id}/archival/deletion")).status_code == 303
        async with socket(mallory, room_id) as mallory_ws:
            await registered(mallory)
            await mallory_ws.send('{"type": "typing"}')

            first = await frame_matching(alice_ws, f"#room-{room_id}-typing")

    assert select_one(first, ".typing").text == "mallory is typing…"  # bob's never went out


async def _read_up_to(person: Person, room_id: int, seq: int) -> bool:
    return (await Membership.get(room_id=room_id, user_id=person.user_id)).last_read_seq == seq


async def test_a_rooms_socket_first_shows_who_came_online_since_its_page_was_rendered(
        alice: Person, bob: Person, room_id: int) -> None:
    page = await alice.get(f"/rooms/{room_id}")  # bob is offline when alice's page is made
    assert "online" not in select_one(await page.get_data(),
                                      f"#presence-user-{bob.user_id}")["class"]

    async with socket(bob, room_id):
        await registered(bob)
        async with socket(alice, room_id) as alice_tab:
            await ready(alice_tab)
            dots = "".join(presence_snapshot(alice_tab))

    assert "online" in select_one(dots, f"#presence-user-{bob.user_id}")["class"]
    assert "online" in select_one(dots, f"#presence-user-{alice.user_id}")["class"]

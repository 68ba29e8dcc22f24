"""Direct rooms are live on the room path: envelopes, typing, read marks, badges, removals."""

from __future__ import annotations

import asyncio

from quart import Quart

from app.models import Membership
from tests.helpers import Person, publish_key, sealed_form, select, select_one, start_direct
from tests.live import frame_matching, next_frame, registered, socket


async def _group(app: Quart, alice: Person, bob: Person, room_id: int) -> tuple[int, Person,
                                                                            dict[str, int]]:
    carol = Person(app, "carol")
    await carol.sign_up()
    await carol.join(room_id)
    keys = {p.username: await publish_key(p) for p in (alice, bob, carol)}
    return await start_direct(alice, "bob", "carol"), carol, keys


async def test_a_sealed_message_reaches_every_member_as_an_envelope(
        app: Quart, alice: Person, bob: Person, room_id: int) -> None:
    direct, carol, keys = await _group(app, alice, bob, room_id)
    form = sealed_form(keys["alice"], list(keys.values()))
    async with socket(bob, direct) as bob_ws, socket(carol, direct) as carol_ws:
        await registered(bob)
        await registered(carol)

        await alice.post(f"/rooms/{direct}/messages", form, htmx=True)

        frames = [await frame_matching(ws, ".message.sealed") for ws in (bob_ws, carol_ws)]
    for frame in frames:
        assert select_one(frame, f"#room-{direct}-messages")["hx-swap-oob"] == "beforeend"
        assert select_one(frame, ".message")["data-envelope"]
        assert select_one(frame, ".body").text == "Encrypted message"


async def test_a_removed_member_stops_hearing_the_room_at_once(
        app: Quart, alice: Person, bob: Person, room_id: int) -> None:
    direct, carol, keys = await _group(app, alice, bob, room_id)
    registry = app.extensions["realtime"].registry
    async with socket(carol, direct) as ws:
        await registered(carol)
        conn = next(iter(registry.by_user[carol.user_id]))

        removed = await alice.post(f"/rooms/{direct}/members/{carol.user_id}/removal")
        notice = await frame_matching(ws, ".removed-notice")
        # The room is sealed for the two who are left; carol's socket gets nothing of it.
        await alice.post(f"/rooms/{direct}/messages",
                         sealed_form(keys["alice"], [keys["alice"], keys["bob"]]), htmx=True)
        await bob.post(f"/rooms/{direct}/messages",
                       sealed_form(keys["bob"], [keys["alice"], keys["bob"]]), htmx=True)
        # carol still hears the public room: its badge frame comes after anything of the
        # direct room would have, so the frames up to it are all she got.
        await alice.say(room_id, "in the public room")
        late = await _frames_until(ws, f"#room-{room_id}-unread")

    assert removed.status_code == 303
    assert select(notice, ".removed-notice")
    assert conn not in registry.by_room.get(direct, set()) and conn.room_id is None
    assert [f for f in late if select(f, ".message")] == []
    refused = await carol.post(f"/rooms/{direct}/messages",
                               sealed_form(keys["carol"], list(keys.values())))
    assert refused.status_code == 404


async def test_typing_and_read_marks_work_in_a_direct_room(alice: Person, bob: Person,
                                                          room_id: int) -> None:
    keys = {p.username: await publish_key(p) for p in (alice, bob)}
    direct = await start_direct(alice, "bob")
    await alice.post(f"/rooms/{direct}/messages",
                     sealed_form(keys["alice"], list(keys.values())), htmx=True)
    async with socket(alice, direct) as alice_ws, socket(bob, direct) as bob_ws:
        await registered(alice)
        await registered(bob)

        await alice_ws.send('{"type": "typing"}')
        shown = await frame_matching(bob_ws, f"#room-{direct}-typing")
        await bob_ws.send('{"type": "read", "seq": 1}')
        await _until(lambda: _read_seq(bob, direct), 1)

    assert select_one(shown, ".typing").text == "alice is typing…"


async def test_a_private_message_shows_as_an_unread_badge_in_another_room(
        alice: Person, bob: Person, room_id: int) -> None:
    keys = {p.username: await publish_key(p) for p in (alice, bob)}
    direct = await start_direct(alice, "bob")
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await alice.post(f"/rooms/{direct}/messages",
                         sealed_form(keys["alice"], list(keys.values())), htmx=True)

        frame = await frame_matching(ws, f"#room-{direct}-unread")
    assert select_one(frame, f"#room-{direct}-unread").text == "1"


async def test_the_other_member_hears_at_once_when_a_key_appears(alice: Person, bob: Person,
                                                                 room_id: int) -> None:
    await publish_key(alice)
    direct = await start_direct(alice, "bob")
    async with socket(alice, direct) as ws:
        await registered(alice)

        await publish_key(bob)

        frame = await frame_matching(ws, ".key-notice")
    notice = select_one(frame, f"#room-{direct}-key-notice")
    assert notice["data-key-owner"] == str(bob.user_id)
    assert notice.text == "bob now has a key: you can write to them."


async def _frames_until(ws: object, selector: str) -> list[str]:
    """Every frame the socket receives up to and including one matching `selector`."""
    frames: list[str] = []
    while not frames or not select(frames[-1], selector):
        frames.append(await next_frame(ws))  # type: ignore[arg-type]
    return frames


async def _read_seq(person: Person, room: int) -> int:
    membership = await Membership.get(room_id=room, user_id=person.user_id)
    return membership.last_read_seq


async def _until(probe, wanted: object) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(10):
        while await probe() != wanted:
            await asyncio.sleep(0.02)


async def test_adding_a_member_announces_it_in_the_timeline_live_and_after_a_reload(
        app: Quart, alice: Person, bob: Person, room_id: int) -> None:
    direct, carol, keys = await _group(app, alice, bob, room_id)
    dave = Person(app, "dave")
    await dave.sign_up()
    await dave.join(room_id)
    async with socket(alice, direct) as ws:
        await registered(alice)

        added = await carol.post(f"/rooms/{direct}/members", {"username": "dave"})
        frame = await frame_matching(ws, ".member-notice")

    page = await (await bob.get(f"/rooms/{direct}")).get_data()
    daves = await (await dave.get(f"/rooms/{direct}")).get_data()
    notice = select_one(page, ".member-notice")
    membership = await Membership.get(room_id=direct, user_id=dave.user_id)
    assert added.status_code == 303
    assert " ".join(select_one(frame, ".member-notice").text.split()).startswith(
        "+ carol added dave")
    assert (notice["data-notice"], notice["data-user-id"]) == ("member_added", str(dave.user_id))
    assert " ".join(notice.text.split()).startswith("+ carol added dave")
    assert select(page, ".member-notice.sealed, .member-notice [data-envelope]") == []
    assert membership.last_read_seq == int(notice["data-seq"])  # dave has nothing unread
    assert select_one(daves, ".member-notice")["data-user-id"] == str(dave.user_id)


async def test_an_announcement_is_no_private_message_to_tabs_elsewhere(
        app: Quart, alice: Person, bob: Person, room_id: int) -> None:
    direct, carol, keys = await _group(app, alice, bob, room_id)
    dave = Person(app, "dave")
    await dave.sign_up()
    await dave.join(room_id)
    async with socket(alice) as ws:  # alice's tab shows another page
        await registered(alice)

        await carol.post(f"/rooms/{direct}/members", {"username": "dave"})
        badge = await frame_matching(ws, f"#room-{direct}-unread")
        # a message after it: its notice is the first one the tab gets
        await bob.post(f"/rooms/{direct}/messages", sealed_form(
            keys["bob"], [*keys.values(), await publish_key(dave)]), htmx=True)
        notice = await frame_matching(ws, "#notices .notice")

    assert badge
    assert select_one(notice, ".notice")["data-author-id"] == str(bob.user_id)

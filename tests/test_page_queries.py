"""How many SQL statements a page sends (a connection-level count, not a timing), and the
sidebar's one statement staying exact while others post, join, leave and read."""

from __future__ import annotations

import asyncio

from app.mentions import mentioned_names
from app.models import Membership, Message, Room
from app.queries.sidebar import sidebar_of
from tests.helpers import Person, publish_key, select, select_one, start_direct
from tests.query_count import counted_statements


async def _room_page(person: Person, room_id: int) -> tuple[bytes, list[str]]:
    async with counted_statements() as statements:
        response = await person.get(f"/rooms/{room_id}")
    assert response.status_code == 200
    return await response.get_data(), statements


async def test_the_room_page_takes_four_statements(alice: Person, bob: Person, mallory: Person,
                                                   room_id: int) -> None:
    # A full sidebar: rooms with unread messages and a mention, a direct room, an invitation
    # waiting, a key; and an aside with its members.
    for i in range(12):
        await alice.say(room_id, f"hello @bob {i}")
    other = await alice.create_room("other")
    await bob.join(other)
    await alice.say(other, "elsewhere @bob")
    secret = await mallory.create_room("secret", visibility="private")
    await mallory.invite(secret, "bob")
    await publish_key(bob)
    await publish_key(alice)
    await start_direct(bob, "alice")
    await bob.get(f"/rooms/{room_id}")  # every message's fragment is cached now

    html, statements = await _room_page(bob, room_id)

    # The membership with its room, the messages' versions, the aside, everything around.
    assert len(statements) == 4, statements
    assert len(select(html, ".messages .message")) == 12
    assert select_one(html, "#room-" + str(other) + "-unread .count").text == "1"
    assert select_one(html, "#room-" + str(other) + "-unread.mentioned")
    assert select_one(html, "#invitations .invitation .room-name").text == "secret"
    assert select_one(html, ".sidebar-direct .room-name").text.strip().endswith("alice")
    assert [m.text for m in select(html, ".member-name")] == ["alice", "bob"]


async def test_uncached_messages_cost_the_same_statements_for_any_number(
        alice: Person, bob: Person, room_id: int) -> None:
    counts = []
    for n in (3, 30):
        for i in range(n - (3 if n == 30 else 0)):
            await alice.say(room_id, f"message {i}")
        alice.app.extensions["fragment_cache"].clear()
        _, statements = await _room_page(bob, room_id)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 12, counts  # one query per relation, never per message


async def _truth(user_id: int, username: str) -> dict[int, tuple[int, bool]]:
    """Each of the user's non-direct rooms: (unread, mentioned), from the ORM rows."""
    truth = {}
    for membership in await Membership.filter(user_id=user_id).prefetch_related("room"):
        room: Room = membership.room
        if room.kind == "direct" or room.archived_at is not None:
            continue
        unread = await Message.filter(room_id=room.id, seq__gt=membership.last_read_seq,
                                      deleted_at=None)
        truth[room.id] = (max(0, room.last_seq - membership.last_read_seq),
                          any(username.lower() in mentioned_names(m.body) for m in unread))
    return truth


async def test_the_sidebar_stays_exact_under_concurrent_posts_joins_leaves_and_reads(
        alice: Person, bob: Person, mallory: Person) -> None:
    rooms = [await bob.create_room(f"room {i}") for i in range(4)]
    already = {r.room.id for r in (await sidebar_of(alice.user_id, "alice")).rooms}  # everyone's
    await alice.join(rooms[0])
    await alice.join(rooms[1])
    await mallory.join(rooms[2])

    async def bob_posts(room: int, n: int) -> None:
        for i in range(n):
            await bob.say(room, f"news {i}" + (" @alice" if i % 3 == 0 else ""))

    async def mallory_posts(room: int) -> None:
        for i in range(5):
            await mallory.say(room, f"mallory {i} @alice")

    async def alice_reads_and_moves() -> None:
        for _ in range(3):
            await alice.post(f"/rooms/{rooms[0]}/read-marker")
        await alice.join(rooms[2])
        await alice.join(rooms[3])
        await alice.post(f"/rooms/{rooms[1]}/membership/deletion")
        await alice.post(f"/rooms/{rooms[3]}/read-marker")

    seen = []

    async def alice_looks() -> None:
        for _ in range(6):
            seen.append(await sidebar_of(alice.user_id, "alice"))

    await asyncio.gather(bob_posts(rooms[0], 9), bob_posts(rooms[1], 6), bob_posts(rooms[3], 6),
                         mallory_posts(rooms[2]), alice_reads_and_moves(), alice_looks())

    sidebar = await sidebar_of(alice.user_id, "alice")
    assert {r.room.id: (r.unread, r.mentioned) for r in sidebar.rooms} == \
        await _truth(alice.user_id, "alice")
    assert {r.room.id for r in sidebar.rooms} == already | {rooms[0], rooms[2], rooms[3]}
    assert [r.room.name for r in sidebar.rooms] == sorted(r.room.name for r in sidebar.rooms)
    # Every look on the way was one snapshot: a room's mention mark only with unread messages.
    assert all(r.unread > 0 for s in seen for r in s.rooms if r.mentioned)
    # The page shows the same.
    page = await (await alice.get("/rooms")).get_data()
    for item in sidebar.rooms:  # the badge counts what the involvement wants counted
        badge = select_one(page, f"#room-{item.room.id}-unread")
        shown = item.unread if item.involvement == "everything" else \
            item.mention_count if item.involvement == "mentions" and item.mentioned else 0
        assert (badge.select_one(".count").text if shown else "") == (str(shown) if shown else "")
        assert ("mentioned" in badge["class"]) == (item.mentioned and shown > 0)

"""Posting in one statement: members only, numbered in commit order, once per client id, with
its e-mail outbox rows, and announced so every socket shows each message once, in order."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.actions.messages import create_message
from app.models import Delivery, Message, Room, User
from tests.helpers import Person, select
from tests.live import next_frame, registered, socket

LIMITS = {"max_chars": 10_000, "grace": timedelta(0)}


async def test_concurrent_posts_get_consecutive_numbers(alice: Person, bob: Person,
                                                        room_id: int) -> None:
    room = await Room.get(id=room_id)
    authors = [await User.get(id=alice.user_id), await User.get(id=bob.user_id)]

    posted = await asyncio.gather(*(create_message(room, authors[n % 2], f"n{n}", None, **LIMITS)
                                    for n in range(20)))

    assert sorted(m.seq for m in posted) == list(range(1, 21))
    assert (await Room.get(id=room_id)).last_seq == 20


async def test_the_same_client_id_posted_at_once_stores_one_message(alice: Person,
                                                                    room_id: int) -> None:
    author, room = await User.get(id=alice.user_id), await Room.get(id=room_id)

    posted = await asyncio.gather(*(create_message(room, author, "once", "same-id-0001",
                                                   **LIMITS) for _ in range(8)))

    assert {m.id for m in posted} == {posted[0].id}
    assert await Message.filter(room_id=room_id).count() == 1
    assert (await Room.get(id=room_id)).last_seq == 1  # no number spent on a duplicate


async def test_the_same_client_id_posted_at_once_over_http_answers_each_with_the_one_message(
        alice: Person, room_id: int) -> None:
    # The one-round-trip path: a retry that loses the race to its first copy (the unique index
    # refuses it) is answered with the first copy, never with an error.
    form = {"csrf_token": await alice.csrf(), "body": "once", "client_msg_id": "same-http-01"}
    answers = await asyncio.gather(*(
        alice.client.post(f"/rooms/{room_id}/messages", form=form, headers={"HX-Request": "true"})
        for _ in range(8)))

    assert [a.status_code for a in answers] == [200] * 8
    shown = {select(await a.get_data(as_text=True), "article")[0]["id"] for a in answers}
    assert shown == {"message-same-http-01"}
    assert await Message.filter(room_id=room_id).count() == 1


async def test_offline_members_get_outbox_rows_in_the_same_write(app, alice: Person, bob: Person,
                                                                 room_id: int) -> None:
    carol = Person(app, "carol")
    await carol.sign_up()
    await carol.join(room_id)
    await carol.post(f"/rooms/{room_id}/notifications", {"email_mode": "all"})

    await alice.say(room_id, "hello @bob and everyone")

    rows = {(n.user_id, n.kind) for n in await Delivery.emails().filter(room_id=room_id)}
    assert rows == {(bob.user_id, "mention"), (carol.user_id, "room_message")}


async def test_a_burst_reaches_a_socket_once_each_in_order(alice: Person, bob: Person,
                                                           room_id: int) -> None:
    author, room = await User.get(id=alice.user_id), await Room.get(id=room_id)
    async with socket(bob, room_id) as ws:
        await registered(bob)

        for n in range(30):
            await create_message(room, author, f"burst {n}", None, **LIMITS)
        seqs: list[int] = []
        while len(seqs) < 30:
            seqs += [int(m["data-seq"]) for m in select(await next_frame(ws), ".message")]

    assert seqs == list(range(1, 31))

"""How many database round trips a post costs: a room's text message and a direct room's sealed
message take the same one statement (tests/round_trips.py counts them)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import asyncpg
import pytest

from app.actions.messages import (
    KeyChanged,
    create_message,
    create_sealed_message,
    post_sealed,
    post_text,
)
from app.db import asyncpg_dsn
from app.errors import Forbidden, InvalidInput
from app.models import Room, User
from tests.helpers import Person, publish_key, sealed_envelope, start_direct
from tests.mailbox import eventually
from tests.round_trips import counting_round_trips

GRACE = timedelta(0)


async def test_a_sealed_message_costs_what_a_text_message_costs(alice: Person, bob: Person,
                                                                room_id: int) -> None:
    mine, theirs = await publish_key(alice), await publish_key(bob)
    direct = await Room.get(id=await start_direct(alice, "bob"))
    room, author = await Room.get(id=room_id), await User.get(id=alice.user_id)
    for n in range(2):  # the first of each prepares its statements on the connection
        with counting_round_trips() as text:
            await create_message(room, author, f"hello {n}", None, max_chars=100, grace=GRACE)
        with counting_round_trips() as sealed:
            await create_sealed_message(direct, author,
                                        json.dumps(sealed_envelope(mine, [mine, theirs])),
                                        None, grace=GRACE)

    print(f"round trips: text {len(text)}, sealed {len(sealed)}\n  " + "\n  ".join(sealed))
    assert len(sealed) <= len(text), sealed


async def test_a_refused_post_says_why_from_the_one_statement(alice: Person, bob: Person,
                                                             mallory: Person,
                                                             room_id: int) -> None:
    mine, theirs = await publish_key(alice), await publish_key(bob)
    direct = await start_direct(alice, "bob")
    await publish_key(bob)  # bob's key changes: envelopes sealed for `theirs` are stale
    author, outsider = await User.get(id=alice.user_id), await User.get(id=mallory.user_id)
    stale = json.dumps(sealed_envelope(mine, [mine, theirs]))
    for _ in range(2):  # the first of each prepares the statement on the connection
        with counting_round_trips() as not_member:
            with pytest.raises(Forbidden, match="Join this room"):
                await post_text(room_id, outsider, "hi", None, max_chars=100, grace=GRACE)
        with counting_round_trips() as bad_reply:
            with pytest.raises(InvalidInput, match="replying to"):
                await post_text(room_id, author, "hi", None, max_chars=100, grace=GRACE,
                                reply_to="999999")
        with counting_round_trips() as text_in_direct:
            with pytest.raises(InvalidInput, match="needs JavaScript"):
                await post_text(direct, author, "hi", None, max_chars=100, grace=GRACE)
        with counting_round_trips() as stale_keys:
            with pytest.raises(KeyChanged, match="new key"):
                await post_sealed(direct, author, stale, None, grace=GRACE)

    assert [len(not_member), len(bad_reply), len(text_in_direct), len(stale_keys)] == \
        [1, 1, 1, 1]
    assert (await Room.get(id=direct)).last_seq == 0  # a refused post takes no number


async def test_a_key_published_while_a_sealed_post_waits_for_the_room_refuses_it(
        alice: Person, bob: Person, room_id: int, database_url: str) -> None:
    mine, theirs = await publish_key(alice), await publish_key(bob)
    direct = await start_direct(alice, "bob")
    author = await User.get(id=alice.user_id)
    envelope = json.dumps(sealed_envelope(mine, [mine, theirs]))
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    watcher = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # Someone holds the room (as adding or removing a member does) ...
        locked = holder.transaction()
        await locked.start()
        await holder.execute("SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE", direct)
        post = asyncio.create_task(post_sealed(direct, author, envelope, None, grace=GRACE))
        # ... while the post waits for it, after its snapshot was taken ...
        # (pg_stat_activity is read once per transaction: asked outside the holder's)
        await eventually(lambda: watcher.fetchval(
            "SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%WITH target AS%'"))
        await publish_key(bob)  # ... bob's key changes
        await locked.commit()
        with pytest.raises(KeyChanged, match="new key"):
            await post
    finally:
        await holder.close()
        await watcher.close()

    assert (await Room.get(id=direct)).last_seq == 0  # no message, no number taken

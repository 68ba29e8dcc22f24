"""How many database round trips a post costs: a room's text message and a direct room's sealed
message take the same one statement (tests/round_trips.py counts them)."""

from __future__ import annotations

import json
from datetime import timedelta

from app.actions.messages import create_message, create_sealed_message
from app.models import Room, User
from tests.helpers import Person, publish_key, sealed_envelope, start_direct
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

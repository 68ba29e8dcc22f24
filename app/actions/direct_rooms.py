"""Starting private conversations (direct rooms of 2-8 people) and adding people to them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.errors import InvalidInput
from app.mail.outbox import enqueue_private_request
from app.models import Involvement, Membership, PublicKey, Room, RoomKind, User
from app.queries.direct_rooms import MAX_MEMBERS, find_direct_room
from app.realtime.events import MembersChanged, MembershipChanged
from app.realtime.publish import in_transaction, publish


async def start_direct_room(creator: User, others: Sequence[User]) -> Room:
    """The conversation of `creator` with `others` (1-7 people the caller checked they may
    message); two people reuse their existing one-to-one room, groups always start afresh."""
    people = {u.id: u for u in others if u.id != creator.id}
    if not 1 <= len(people) <= MAX_MEMBERS - 1:
        raise InvalidInput({"username": f"Pick 1 to {MAX_MEMBERS - 1} people to write to."})
    if len(people) == 1:
        existing = await find_direct_room([creator.id, *people])
        if existing is not None:
            return existing
    async with in_transaction() as conn:
        room = await Room.create(name="", kind=RoomKind.DIRECT, owner_id=creator.id,
                                 using_db=conn)
        for user in (creator, *people.values()):
            await _add(room, user, creator, conn)
    return room


async def add_direct_member(room: Room, by: User, user: User) -> Membership:
    """A member adds someone to a direct room (up to 8 people); they see only what comes next.

    Earlier messages were sealed for the members of their time, so the newcomer cannot open
    them; their own key is sealed for from the next message on.
    """
    async with in_transaction() as conn:
        await Room.select_for_update().using_db(conn).get(id=room.id)  # one add at a time
        existing = await Membership.get_or_none(room_id=room.id, user_id=user.id, using_db=conn)
        if existing is not None:
            return existing
        if await Membership.filter(room_id=room.id).using_db(conn).count() >= MAX_MEMBERS:
            raise InvalidInput({"username": f"A private conversation has at most {MAX_MEMBERS} "
                                            "people. Start a new one instead."})
        membership = await _add(room, user, by, conn)
        await publish(MembersChanged(room_id=room.id), using_db=conn)
    return membership


async def _add(room: Room, user: User, by: User, conn: Any) -> Membership:
    fresh = await Room.get(id=room.id, using_db=conn)
    membership = await Membership.create(room_id=room.id, user_id=user.id,
                                         last_read_seq=fresh.last_seq,
                                         involvement=Involvement.EVERYTHING, using_db=conn)
    if user.id != by.id and not await PublicKey.filter(user_id=user.id).using_db(conn).exists():
        await enqueue_private_request(user, by, room.id, conn)
    await publish(MembershipChanged(user_id=user.id, room_id=room.id, member=True),
                  using_db=conn)
    return membership

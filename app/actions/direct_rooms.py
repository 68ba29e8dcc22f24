"""Starting private conversations (direct rooms of 2-8 people) and adding people to them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from app.errors import InvalidInput
from app.mail.outbox import enqueue_private_request
from app.models import Involvement, Membership, Message, PublicKey, Room, RoomKind, User
from app.queries.direct_rooms import MAX_MEMBERS, find_direct_room
from app.realtime.events import MembersChanged, MembershipChanged, MessageCreated
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
    them; their own key is sealed for from the next message on, by the browsers that have
    seen the announcement ("carol added dave") this writes in the timeline.
    """
    async with in_transaction() as conn:
        await Room.select_for_update().using_db(conn).get(id=room.id)  # one add at a time
        existing = await Membership.get_or_none(room_id=room.id, user_id=user.id, using_db=conn)
        if existing is not None:
            return existing
        if await Membership.filter(room_id=room.id).using_db(conn).count() >= MAX_MEMBERS:
            raise InvalidInput({"username": f"A private conversation has at most {MAX_MEMBERS} "
                                            "people. Start a new one instead."})
        await _announce(room, by, user, conn)
        membership = await _add(room, user, by, conn)  # their read mark: past the announcement
        await publish(MembersChanged(room_id=room.id), using_db=conn)
    return membership


async def _announce(room: Room, by: User, user: User, conn: Any) -> Message:
    """"<by> added <user>" in the conversation's timeline, for every member (no e-mail, no
    push: it is no private message). The browsers seal for `user` only once they saw it."""
    rows = await conn.execute_query_dict(
        "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq", [room.id])
    seq = rows[0]["last_seq"]
    notice = {"v": "notice", "kind": "member_added", "user_id": user.id,
              "username": user.username}
    message = await Message.create(room_id=room.id, author_id=by.id, seq=seq,
                                   client_msg_id=f"notice-{secrets.token_hex(12)}", body="",
                                   envelope=notice, using_db=conn)
    await publish(MessageCreated(room_id=room.id, message_id=message.id, seq=seq,
                                 author_id=by.id), using_db=conn)
    return message


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

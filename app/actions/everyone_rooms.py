"""Everyone rooms: public rooms every active person is in, like a team's #general.

The first account's sign-up makes one ("General"); the administrator marks or unmarks others.
Marking one adds every active person at once; signing up joins all of them.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from app.errors import InvalidInput
from app.models import Membership, Room, RoomKind, User
from app.realtime.events import Event, MembersChanged, MembershipChanged
from app.realtime.publish import in_transaction, publish

FIRST_ROOM = "General"
FIRST_TOPIC = "Everyone on this server is in here."
NOT_PUBLIC = "Only a public room that is not archived can be one everyone is in."

# Every active person (never a webhook's bot, never a deactivated account) who is not in the
# room yet, in one statement: a sign-up or a second click at the same moment adds nobody twice.
JOIN_ALL = """
INSERT INTO memberships (room_id, user_id, joined_at, last_read_seq, involvement, email_held)
SELECT r.id, u.id, now(), r.last_seq, 'mentions', false FROM rooms r, users u
WHERE r.id = $1 AND u.is_bot = false AND u.deactivated_at IS NULL
ON CONFLICT (room_id, user_id) DO NOTHING
RETURNING user_id
"""


async def create_first_room(admin: User, conn: BaseDBAsyncClient) -> Room:
    """The room a fresh instance starts with, which everyone who signs up joins."""
    room = await Room.create(name=FIRST_ROOM, topic=FIRST_TOPIC, kind=RoomKind.PUBLIC,
                             owner=admin, everyone=True, using_db=conn)
    await Membership.create(room=room, user=admin, using_db=conn)
    return room


async def join_everyone_rooms(user: User, conn: BaseDBAsyncClient) -> list[int]:
    """Put a new account in every everyone room (read up to now); returns the rooms' ids."""
    rooms = await Room.filter(everyone=True, kind=RoomKind.PUBLIC, archived_at=None) \
        .using_db(conn)
    for room in rooms:
        await Membership.create(room_id=room.id, user_id=user.id, last_read_seq=room.last_seq,
                                using_db=conn)
        await publish(MembersChanged(room_id=room.id), using_db=conn)
    return [room.id for room in rooms]


async def mark_everyone_room(room: Room, everyone: bool) -> int:
    """Make `room` a room everyone is in (adding every active person now), or stop that
    (nobody is removed). Returns how many people were added."""
    if everyone and (room.kind != RoomKind.PUBLIC or room.archived_at is not None):
        raise InvalidInput({"everyone": NOT_PUBLIC})
    async with in_transaction() as conn:
        await Room.filter(id=room.id).using_db(conn).update(everyone=everyone)
        room.everyone = everyone
        if not everyone:
            return 0
        added = [row["user_id"] for row in await conn.execute_query_dict(JOIN_ALL, [room.id])]
        events: list[Event] = [MembershipChanged(user_id=user_id, room_id=room.id, member=True)
                               for user_id in added]
        if added:
            events.append(MembersChanged(room_id=room.id))
        for event in events:
            await publish(event, using_db=conn)
    return len(added)

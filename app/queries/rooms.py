"""Room listings: the public directory and the signed-in user's own rooms with unread counts."""

from __future__ import annotations

from tortoise import connections

from app.models import Room, RoomKind, User
from app.queries.sidebar import MyRoom, sidebar_of

__all__ = ["MyRoom", "my_rooms", "public_rooms"]


async def public_rooms() -> list[Room]:
    """Public, unarchived rooms with member counts, most recently active first (one
    statement; the rows become Room objects without the ORM's query building)."""
    columns = ", ".join(f'r."{c}"' for c in Room._meta.db_fields)
    rows = await connections.get("default").execute_query_dict(
        f"SELECT {columns}, (SELECT count(*) FROM memberships ms WHERE ms.room_id = r.id) "
        "AS member_count FROM rooms r WHERE r.kind = $1 AND r.archived_at IS NULL "
        "ORDER BY r.last_message_at DESC NULLS FIRST, r.created_at DESC", [RoomKind.PUBLIC.value])
    rooms = []
    for row in rows:
        room = Room._init_from_db(**{c: row[c] for c in Room._meta.db_fields})
        room.member_count = row["member_count"]
        rooms.append(room)
    return rooms


async def my_rooms(user: User) -> list[MyRoom]:
    """The user's public and private rooms, alphabetical, each with its unread count and
    mention mark (direct rooms: my_direct_rooms): the sidebar's one statement."""
    return (await sidebar_of(user.id, user.username)).rooms

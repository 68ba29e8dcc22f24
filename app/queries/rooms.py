"""Room listings: the public directory and the signed-in user's own rooms with unread counts."""

from __future__ import annotations

from tortoise.functions import Count

from app.models import Room, RoomKind, User
from app.queries.sidebar import MyRoom, sidebar_of

__all__ = ["MyRoom", "my_rooms", "public_rooms"]


async def public_rooms() -> list[Room]:
    """Public, unarchived rooms with member counts, most recently active first."""
    return await Room.filter(kind=RoomKind.PUBLIC, archived_at=None) \
        .annotate(member_count=Count("memberships")) \
        .order_by("-last_message_at", "-created_at")


async def my_rooms(user: User) -> list[MyRoom]:
    """The user's public and private rooms, alphabetical, each with its unread count and
    mention mark (direct rooms: my_direct_rooms): the sidebar's one statement."""
    return (await sidebar_of(user.id, user.username)).rooms

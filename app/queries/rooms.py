"""Room listings: the public directory and the signed-in user's own rooms with unread counts."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Count

from app.models import Involvement, Membership, Room, RoomKind, User
from app.queries.mentions import unread_mentions


@dataclass(frozen=True)
class MyRoom:
    """A room in the sidebar, with how many messages the user has not read."""

    room: Room
    unread: int
    mentioned: bool = False  # an unread message there mentions the user
    involvement: Involvement = Involvement.MENTIONS  # what the badge and notifications show
    mention_count: int = 0  # unread messages there that mention the user

    @property
    def listed(self) -> bool:
        """Shown in the sidebar (an invisible room is not, until it is opened again)."""
        return self.involvement.listed


async def public_rooms() -> list[Room]:
    """Public, unarchived rooms with member counts, most recently active first."""
    return await Room.filter(kind=RoomKind.PUBLIC, archived_at=None) \
        .annotate(member_count=Count("memberships")) \
        .order_by("-last_message_at", "-created_at")


async def my_rooms(user: User) -> list[MyRoom]:
    """The user's public and private rooms, alphabetical, each with its unread count (direct
    rooms are listed by queries/direct_rooms.py)."""
    memberships = await Membership.filter(user_id=user.id, room__archived_at=None) \
        .exclude(room__kind=RoomKind.DIRECT).prefetch_related("room")
    mentions = await unread_mentions(user)
    rooms = [MyRoom(m.room, max(0, m.room.last_seq - m.last_read_seq), m.room.id in mentions,
                    m.involvement, mentions[m.room.id].count if m.room.id in mentions else 0)
             for m in memberships]
    return sorted(rooms, key=lambda r: r.room.name.lower())

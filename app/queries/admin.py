"""What the admin page lists: every person and every room, whatever their state."""

from __future__ import annotations

from tortoise.functions import Count

from app.models import Room, RoomKind, User

LISTED_MAX = 1000  # a team chat, not a directory: beyond this the page says it is cut short


async def all_people() -> list[User]:
    """People (never webhook bots, never imported accounts nobody has claimed), oldest
    account first."""
    return await User.filter(is_bot=False, imported_from=None).order_by("id").limit(LISTED_MAX)


async def all_rooms() -> list[Room]:
    """Every room, archived ones too, with member counts, alphabetical; never private
    conversations (rooms of kind direct), whose names and members are their own business."""
    return await Room.exclude(kind=RoomKind.DIRECT).annotate(member_count=Count("memberships")) \
        .order_by("name", "id").limit(LISTED_MAX)

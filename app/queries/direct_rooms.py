"""Reading direct rooms: mine for the sidebar, the one with exactly some people, who I may ask."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import Subquery
from tortoise.functions import Count

from app.models import Membership, Message, Room, RoomKind, User
from app.queries.sidebar import MyDirectRoom, sidebar_of

MAX_MEMBERS = 8


async def my_direct_rooms(user_id: int) -> list[MyDirectRoom]:
    """My direct rooms, most recently active first, each with its unread count (the sidebar's
    one statement)."""
    return (await sidebar_of(user_id, None)).direct


async def find_direct_room(user_ids: Iterable[int]) -> Room | None:
    """The oldest open direct room whose members are exactly these people, if there is one."""
    wanted = sorted(set(user_ids))
    candidates = Membership.filter(user_id=wanted[0], room__kind=RoomKind.DIRECT,
                                   room__archived_at=None).values("room_id")
    sizes = await Membership.filter(room_id__in=Subquery(candidates)) \
        .annotate(n=Count("id")).group_by("room_id").values("room_id", "n")
    for room_id in sorted(r["room_id"] for r in sizes if r["n"] == len(wanted)):
        members = await Membership.filter(room_id=room_id).order_by("user_id") \
            .values_list("user_id", flat=True)
        if list(members) == wanted:
            return await Room.get(id=room_id)
    return None


async def contacts_of(user: User) -> list[User]:
    """Everyone I may message: every active person on the instance but me, alphabetical
    (never a webhook's bot, never a deactivated account)."""
    return await User.filter(is_bot=False, deactivated_at=None, imported_from=None).exclude(id=user.id) \
        .order_by("username_key")


async def has_earlier_messages(room: Room, membership: Membership) -> bool:
    """True when the room had messages before this member joined (sealed for others only)."""
    return await Message.filter(room_id=room.id, created_at__lt=membership.joined_at).exists()

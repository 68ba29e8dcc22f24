"""Reading direct rooms: mine for the sidebar, the one with exactly some people, who I may ask."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.functions import Count

from app.models import Membership, Message, Room, RoomKind, User

MAX_MEMBERS = 8


@dataclass(frozen=True)
class MyDirectRoom:
    """A direct room in my sidebar: who else is in it, and how many messages I have not read."""

    room: Room
    others: list[User]
    unread: int

    @property
    def label(self) -> str:
        """The room's name as I see it: the other members, alphabetical."""
        return ", ".join(u.username for u in self.others) or "Only you"


async def my_direct_rooms(user_id: int) -> list[MyDirectRoom]:
    """My direct rooms, most recently active first, each with its unread count."""
    mine = await Membership.filter(user_id=user_id, room__kind=RoomKind.DIRECT,
                                   room__archived_at=None).prefetch_related("room")
    if not mine:
        return []
    room_ids = [m.room_id for m in mine]
    others: dict[int, list[User]] = {room_id: [] for room_id in room_ids}
    for membership in await Membership.filter(room_id__in=room_ids).exclude(user_id=user_id) \
            .prefetch_related("user"):
        others[membership.room_id].append(membership.user)
    rooms = [MyDirectRoom(m.room, sorted(others[m.room_id], key=lambda u: u.username_key),
                          max(0, m.room.last_seq - m.last_read_seq)) for m in mine]
    rooms.sort(key=lambda r: (r.room.last_message_at or r.room.created_at), reverse=True)
    return rooms


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

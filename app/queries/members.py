"""Who is in a room, who is invited to it, and which invitations wait for a user."""

from __future__ import annotations

from typing import cast

from app.models import Invitation, Involvement, Membership, Room, User


async def room_members(room: Room) -> list[Membership]:
    """The room's memberships with their users, oldest member first (the hand-over order)."""
    return await Membership.filter(room_id=room.id).order_by("joined_at", "id") \
        .prefetch_related("user")


async def member_of(room: Room, user_id: int) -> Membership | None:
    """`user_id`'s membership of the room with its user, or None if they are not a member."""
    return await Membership.get_or_none(room_id=room.id, user_id=user_id).prefetch_related("user")


async def membership_in(room_id: int, user_id: int) -> Membership | None:
    """`user_id`'s membership of a room by ids (a socket's read mark), or None."""
    return await Membership.get_or_none(room_id=room_id, user_id=user_id)


async def read_positions(user_id: int) -> list[tuple[int, int, int, Involvement]]:
    """(room id, its last seq, the user's last read seq, their involvement) for each live room
    the user is in."""
    rows = await Membership.filter(user_id=user_id, room__archived_at=None) \
        .values("room_id", "last_read_seq", "room__last_seq", "involvement")
    return [(r["room_id"], r["room__last_seq"], r["last_read_seq"], Involvement(r["involvement"]))
            for r in rows]


async def pending_invitations(room: Room) -> list[Invitation]:
    """Open invitations into the room, oldest first, with invitee and sender loaded."""
    return await Invitation.filter(room_id=room.id).order_by("created_at", "id") \
        .prefetch_related("invitee", "inviter")


async def invitations_for(user: User) -> list[Invitation]:
    """Open invitations addressed to `user` into rooms that still exist, newest first."""
    return await invitations_for_user(user.id)


async def invitations_for_user(user_id: int) -> list[Invitation]:
    """invitations_for, by user id (for the fan-out, which has only ids)."""
    return await Invitation.filter(invitee_id=user_id, room__archived_at=None) \
        .order_by("-created_at", "-id").prefetch_related("room", "inviter")


async def room_ids_of(user_id: int) -> list[int]:
    """The rooms a user is a member of (whose member lists show them)."""
    ids = await Membership.filter(user_id=user_id).values_list("room_id", flat=True)
    return cast(list[int], ids)  # flat: the values (Tortoise types them as tuples)

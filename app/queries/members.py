"""Who is in a room, who is invited to it, and which invitations wait for a user."""

from __future__ import annotations

from app.models import Invitation, Membership, Room, User


async def room_members(room: Room) -> list[Membership]:
    """The room's memberships with their users, oldest member first (the hand-over order)."""
    return await Membership.filter(room_id=room.id).order_by("joined_at", "id") \
        .prefetch_related("user")


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

"""The one place that decides who may see and act in a room or a private conversation."""

from __future__ import annotations

from quart import abort
from tortoise.expressions import Subquery

from app.models import Conversation, Membership, Room, User, Visibility


async def find_visible_room(user: User | None, room_id: int) -> tuple[Room, Membership | None]:
    """The room and the user's membership; 404 for a room this user may not know exists."""
    room = await Room.get_or_none(id=room_id, archived_at=None)
    if room is None:
        abort(404)
    membership = None
    if user is not None:
        membership = await Membership.get_or_none(room_id=room.id, user_id=user.id)
    if membership is None and room.visibility != Visibility.PUBLIC:
        abort(404)
    return room, membership


async def require_membership(user: User, room_id: int) -> tuple[Room, Membership]:
    """The room and membership; 404 if the room is hidden from the user, 403 if not a member."""
    room, membership = await find_visible_room(user, room_id)
    if membership is None:
        abort(403, "Join this room to take part.")
    return room, membership


def can_join(room: Room) -> bool:
    """Anyone may join a public room; private rooms need an invitation."""
    return room.visibility == Visibility.PUBLIC


async def find_contact(user: User, username: str) -> User:
    """The user `user` may message privately; 404 for unknown users, oneself and strangers."""
    other = await find_contact_or_none(user, username)
    if other is None:
        abort(404)
    return other


async def find_contact_or_none(user: User, username: str) -> User | None:
    """Like find_contact, but None instead of a 404 (for the "start a conversation" form)."""
    other = await User.get_or_none(username_key=username.strip().lower()[:32])
    if other is None or other.id == user.id or not await can_message(user, other):
        return None
    return other


async def find_key_owner(user: User, username: str) -> User:
    """Whose public keys `user` may fetch: their own, or a contact's (404 otherwise)."""
    if username.strip().lower() == user.username_key:
        return user
    return await find_contact(user, username)


async def can_message(user: User, other: User) -> bool:
    """People who share a room, or who already talk privately, may message each other.

    Everyone else gets a 404, so private messages cannot be used to find out who has an
    account or to cold-call people from outside the team's rooms.
    """
    low, high = sorted((user.id, other.id))
    if await Conversation.exists(low_user_id=low, high_user_id=high):
        return True
    theirs = Membership.filter(user_id=other.id, room__archived_at=None).values("room_id")
    return await Membership.filter(user_id=user.id, room_id__in=Subquery(theirs)).exists()

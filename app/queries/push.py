"""A user's push devices (the browsers that asked for notifications)."""

from __future__ import annotations

from app.models import PushSubscription, User


async def devices_of(user: User) -> list[PushSubscription]:
    """The user's subscribed devices, oldest first (the profile page's list)."""
    return await PushSubscription.filter(user_id=user.id).order_by("created_at")


async def own_device(user: User, subscription_id: int) -> PushSubscription | None:
    """One of the user's own devices by id; None for an unknown id or someone else's device."""
    return await PushSubscription.get_or_none(id=subscription_id, user_id=user.id)

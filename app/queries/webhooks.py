"""A room's webhooks, as its webhook page lists them."""

from __future__ import annotations

from app.models import Room, Webhook


async def live_webhooks(room: Room) -> list[Webhook]:
    """The room's webhooks that were not revoked, with their creators, oldest first."""
    return await Webhook.filter(room_id=room.id, revoked_at=None) \
        .prefetch_related("creator").order_by("id")

"""Presence rows: written on connect/disconnect, refreshed by one heartbeat per process. A
person's first socket anywhere announces them online, their last one offline, so the dots in
member lists change while people look at them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from app.models import Presence
from app.queries.presence import STALE_AFTER, is_online
from app.realtime.events import PresenceChanged
from app.realtime.publish import publish

INSTANCE_ID = str(uuid.uuid4())  # this process; rows of a dead process go stale and are ignored


async def record_connection(user_id: int, room_id: int | None) -> int:
    """A row for a newly opened socket; returns its id. The person's first one says so."""
    came_online = not await is_online(user_id)
    row = await Presence.create(instance_id=INSTANCE_ID, user_id=user_id, room_id=room_id)
    if came_online:
        await publish(PresenceChanged(user_id, True))
    return row.id


async def forget_connection(presence_id: int, user_id: int) -> None:
    """Remove a closed socket's row; the person's last one says they went offline."""
    await Presence.filter(id=presence_id).delete()
    if not await is_online(user_id):
        await publish(PresenceChanged(user_id, False))


async def heartbeat() -> None:
    """Refresh every row this process holds, and purge rows of processes that died."""
    now = datetime.now(UTC)
    await Presence.filter(instance_id=INSTANCE_ID).update(heartbeat_at=now)
    await Presence.filter(heartbeat_at__lt=now - STALE_AFTER * 10).delete()

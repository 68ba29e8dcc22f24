"""Presence rows: written on connect/disconnect, refreshed by one heartbeat per process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from app.models import Presence

INSTANCE_ID = str(uuid.uuid4())  # this process; rows of a dead process go stale and are ignored
HEARTBEAT_SECONDS = 20
STALE_AFTER = timedelta(seconds=HEARTBEAT_SECONDS * 3)


async def record_connection(user_id: int, room_id: int | None) -> int:
    """A row for a newly opened socket; returns its id."""
    row = await Presence.create(instance_id=INSTANCE_ID, user_id=user_id, room_id=room_id)
    return row.id


async def forget_connection(presence_id: int) -> None:
    """Remove a closed socket's row."""
    await Presence.filter(id=presence_id).delete()


async def heartbeat() -> None:
    """Refresh every row this process holds, and purge rows of processes that died."""
    now = datetime.now(UTC)
    await Presence.filter(instance_id=INSTANCE_ID).update(heartbeat_at=now)
    await Presence.filter(heartbeat_at__lt=now - STALE_AFTER * 10).delete()


async def is_online(user_id: int, grace: timedelta = timedelta(0)) -> bool:
    """True if the user has a live connection anywhere (or had one within `grace`)."""
    return await Presence.filter(user_id=user_id,
                                 heartbeat_at__gte=datetime.now(UTC) - STALE_AFTER - grace).exists()


async def online_user_ids(user_ids: list[int]) -> set[int]:
    """Which of these users are online now (for member lists)."""
    rows = await Presence.filter(user_id__in=user_ids,
                                 heartbeat_at__gte=datetime.now(UTC) - STALE_AFTER) \
        .distinct().values_list("user_id", flat=True)
    return set(rows)

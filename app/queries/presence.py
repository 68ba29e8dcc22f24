"""Who is online: presence rows younger than the heartbeat allows (app/actions/presence.py
writes them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from app.models import Presence

HEARTBEAT_SECONDS = 20  # each process refreshes its rows this often
STALE_AFTER = timedelta(seconds=HEARTBEAT_SECONDS * 3)  # rows of a dead process count no more


async def is_online(user_id: int, grace: timedelta = timedelta(0)) -> bool:
    """True if the user has a live connection anywhere (or had one within `grace`)."""
    return await Presence.filter(user_id=user_id,
                                 heartbeat_at__gte=datetime.now(UTC) - STALE_AFTER - grace).exists()


async def online_user_ids(user_ids: list[int]) -> set[int]:
    """Which of these users are online now (for member lists)."""
    rows = await Presence.filter(user_id__in=user_ids,
                                 heartbeat_at__gte=datetime.now(UTC) - STALE_AFTER) \
        .distinct().values_list("user_id", flat=True)
    return set(cast(list[int], rows))  # flat: the values (Tortoise types them as tuples)

"""The outbox's claim statements (app/outbox/loop.py runs them in its transaction)."""

from __future__ import annotations

from typing import Any

from app.sql import Statement

# The oldest due row of the channel whose batching delay has passed picks the user; locking
# it (and skipping rows another process holds) makes each batch one process's at a time.
CLAIM_USER = Statement("""
SELECT d.user_id FROM deliveries d JOIN users u ON u.id = d.user_id
WHERE d.channel = :channel AND d.status = 'pending' AND d.not_before <= now()
  AND d.created_at <= now() - make_interval(secs => CASE
        WHEN d.channel = 'push' OR d.kind = ANY(:immediate_kinds::text[]) THEN 0
        ELSE coalesce(u.notify_delay_seconds::float8, :delay::float8) END)
ORDER BY d.created_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED
""")
# Then everything else due for that user on that channel goes into the same batch.
CLAIM_BATCH = Statement("""
SELECT id FROM deliveries
WHERE channel = :channel AND user_id = :user_id AND status = 'pending' AND not_before <= now()
ORDER BY id FOR UPDATE SKIP LOCKED
""")


async def claim_user(conn: Any, channel: str, delay: float,
                     immediate_kinds: list[str]) -> int | None:
    """Lock the oldest due row of `channel`; its user's id, or None when nothing is due.

    `delay`: the default batching delay in seconds; `immediate_kinds` wait none.
    """
    rows = await CLAIM_USER.rows(conn, channel=channel, delay=delay,
                                 immediate_kinds=immediate_kinds)
    return rows[0]["user_id"] if rows else None


async def claim_batch(conn: Any, channel: str, user_id: int) -> list[int]:
    """Lock every due row of `user_id` on `channel` no other process holds; their ids."""
    return [r["id"] for r in await CLAIM_BATCH.rows(conn, channel=channel, user_id=user_id)]

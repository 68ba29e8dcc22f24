"""Whether the mail server takes Parley's e-mails: failing since when, and why (for the admin).

Only faults of the server or of Parley's settings for it count (refused connection, TLS,
authentication, a demand for STARTTLS): one recipient's refused address says nothing about it.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections

from app.models import Delivery, MailHealth, NotificationStatus

HEALTH_ID = 1

DELAYED = ("E-mail delivery is delayed at the moment: the mail server is not taking Parley's "
           "e-mails. Your administrator can see why; the e-mail goes out once that is mended.")

RECORD_FAILURE = """
INSERT INTO mail_health (id, failing_since, error, error_at) VALUES ($1, now(), $2, now())
ON CONFLICT (id) DO UPDATE SET failing_since = coalesce(mail_health.failing_since, now()),
                               error = EXCLUDED.error, error_at = now()
"""
# A no-op while all is well: only a recovery writes.
RECORD_DELIVERY = "UPDATE mail_health SET failing_since = NULL WHERE id = $1 " \
                  "AND failing_since IS NOT NULL"
# After a restart (typically with mended settings), mail held back by the failure is due at once.
RELEASE_HELD = """
UPDATE deliveries SET not_before = now()
WHERE channel = 'email' AND status = 'pending' AND attempts > 0 AND not_before > now()
  AND EXISTS (SELECT 1 FROM mail_health WHERE id = $1 AND failing_since IS NOT NULL)
"""


async def record_failure(reason: str, conn: Any) -> None:
    """The server (or the way Parley reaches it) failed: keep the first time and the latest why."""
    await conn.execute_query(RECORD_FAILURE, [HEALTH_ID, reason[:500]])


async def record_delivery(conn: Any) -> None:
    """An e-mail went through: mail is no longer failing."""
    await conn.execute_query(RECORD_DELIVERY, [HEALTH_ID])


async def release_held_mail() -> None:
    """Make the e-mails waiting out a back-off after a server failure due now."""
    await connections.get("default").execute_query(RELEASE_HELD, [HEALTH_ID])


async def mail_failure() -> MailHealth | None:
    """The current failure (since when, why), or None while mail goes out."""
    return await MailHealth.filter(id=HEALTH_ID, failing_since__isnull=False).first()


async def waiting_mail() -> int:
    """How many e-mail outbox rows wait to be sent."""
    return await Delivery.emails().filter(status=NotificationStatus.PENDING).count()


async def delay_note() -> str:
    """What to tell someone just promised an e-mail while mail is failing ('' otherwise)."""
    return f" {DELAYED}" if await mail_failure() is not None else ""

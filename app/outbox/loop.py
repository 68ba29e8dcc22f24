"""One claim / retry / back-off loop for every channel of the outbox.

A channel's sender (app/mail/sender.py, app/push/sender.py) subclasses `ChannelSender` and
says only how to send a user's claimed rows; this module claims them (one user's due rows at
a time, SKIP LOCKED, so several processes share the work), and records what became of each:
sent, skipped, failed, or due again later after an exponential back-off.

A row's batching delay: e-mail waits the user's notify delay (or NOTIFY_DELAY) so several
messages make one digest, except rows that carry a link or a notice (sent at once); a push
is due at once.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from quart import Quart
from tortoise.transactions import in_transaction

from app.models import Channel, Delivery, NotificationKind, NotificationStatus, User
from app.polling import drain_forever, stop_task
from app.sql.outbox import claim_batch, claim_user

BACKOFF_MAX = 3600.0  # seconds between retries at most
IMMEDIATE_KINDS = (NotificationKind.PASSWORD_RESET, NotificationKind.VERIFY_EMAIL,
                   NotificationKind.PASSWORD_CHANGED)

@dataclass(frozen=True)
class RetryPolicy:
    """How a channel retries: the first wait, doubled each time, up to `max_attempts` sends."""

    retry_seconds: float
    max_attempts: int
    backoff_max: float = BACKOFF_MAX

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`th failed send."""
        return min(self.backoff_max, self.retry_seconds * 2 ** (attempts - 1))


class ChannelSender(ABC):
    """A channel's sender loop; every process runs one per channel.

    Subclasses set `channel` and `log` and implement `poll_seconds`, `retry_policy` and
    `send` (render and deliver a user's claimed rows, then `finish` or `retry_later` them).
    """

    channel: Channel
    log: logging.Logger

    def __init__(self, app: Quart) -> None:
        self.app = app
        self.task: asyncio.Task[None] | None = None

    @abstractmethod
    def poll_seconds(self) -> float:
        """How long to sleep when nothing is due."""

    def batch_delay(self) -> float:
        """The default batching delay in seconds (a user's own setting wins)."""
        return 0.0

    @abstractmethod
    def retry_policy(self) -> RetryPolicy:
        """The channel's retry settings, read afresh each time (a test may swap them)."""

    @abstractmethod
    async def send(self, user: User, rows: list[Delivery], conn: Any) -> None:
        """Render and deliver the rows; mark each (finish, retry_later) in `conn`."""

    async def run(self) -> None:
        """Send everything due, sleep a poll interval, repeat (errors are logged, never fatal)."""
        await drain_forever(self.send_due, self.poll_seconds, self.log)

    async def send_due(self) -> bool:
        """One user's due rows of this channel: False when nothing is due."""
        async with self.app.app_context(), in_transaction() as conn:
            claimed = await claim(conn, self.channel, self.batch_delay())
            if claimed is None:
                return False
            user, rows = claimed
            await self.send(user, rows, conn)
        return True

    def start(self, name: str) -> None:
        """Start the loop and register the sender as `app.extensions[name]`."""
        self.task = asyncio.create_task(self.run())
        self.app.extensions[name] = self

    async def stop(self) -> None:
        """Stop the loop; rows cut off mid-send roll back and go out later."""
        await stop_task(self.task)

    async def retry_later(self, rows: list[Delivery], conn: Any, reason: str, *,
                          permanent: bool = False, patient: bool = False) -> None:
        """A failed send: due again after the back-off, or FAILED when `permanent` or out of
        attempts. `patient`: the fault is not the rows' (a mail server down): never give up."""
        policy = self.retry_policy()
        for row in rows:
            row.attempts += 1
            row.last_error = reason[:500]
            if permanent or (row.attempts >= policy.max_attempts and not patient):
                row.status = NotificationStatus.FAILED
            else:
                row.not_before = datetime.now(UTC) + timedelta(seconds=policy.delay(row.attempts))
            await row.save(using_db=conn,
                           update_fields=["attempts", "last_error", "status", "not_before"])


async def claim(conn: Any, channel: Channel, delay: float) -> tuple[User, list[Delivery]] | None:
    """Lock one user's due rows of `channel` (None when nothing is due)."""
    user_id = await claim_user(conn, channel.value, delay, [k.value for k in IMMEDIATE_KINDS])
    if user_id is None:
        return None
    user = await User.get(id=user_id, using_db=conn)
    ids = await claim_batch(conn, channel.value, user.id)
    rows = await Delivery.filter(id__in=ids).using_db(conn).order_by("id")
    return user, list(rows)


async def finish(rows: list[Delivery], conn: Any, status: NotificationStatus,
                 note: str | None = None) -> None:
    """Record what became of the rows (`note`: why, kept in last_error; None keeps it)."""
    if not rows:
        return
    values: dict[str, Any] = {"status": status,
                              "sent_at": datetime.now(UTC) if status == NotificationStatus.SENT
                              else None}
    if note is not None:
        values["last_error"] = note[:500]
    await Delivery.filter(id__in=[r.id for r in rows]).using_db(conn).update(**values)
    for row in rows:
        row.status, row.sent_at = values["status"], values["sent_at"]
        if note is not None:
            row.last_error = values["last_error"]

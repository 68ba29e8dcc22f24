"""The push channel: a claimed row is re-checked and delivered to each of its user's devices;
claiming, retries and back-off are the outbox loop's (app/outbox/loop.py)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pywebpush import WebPushException, webpush
from quart import Quart

from app.models import Channel, Delivery, NotificationStatus, PushSubscription, User
from app.outbound import OutboundGuard, OutboundRefused
from app.outbox.loop import ChannelSender, RetryPolicy, finish
from app.push.payload import push_payload
from app.push.recheck import reason_to_skip
from app.push.vapid import VapidKeys, load_vapid_keys
from config.settings import Settings, settings_of

log = logging.getLogger("parley.push")
GONE = {404, 410}  # the browser unsubscribed or the subscription expired: forget it
TTL_SECONDS = 3600  # a device offline longer than this gets the e-mail instead
MAX_ATTEMPTS = 5  # sends of one push before it is marked failed


@dataclass(frozen=True)
class Refused:
    """The outbound address guard would not let a push go to this endpoint."""

    reason: str


@dataclass(frozen=True)
class PushConfig:
    """The push part of Settings."""

    poll_seconds: float
    timeout: float
    retry_seconds: float
    max_attempts: int = MAX_ATTEMPTS


class PushSender(ChannelSender):
    """Sends due push rows; every process runs one, and SKIP LOCKED shares the rows out."""

    channel = Channel.PUSH
    log = log

    def __init__(self, app: Quart, keys: VapidKeys) -> None:
        super().__init__(app)
        self.keys = keys

    @property
    def cfg(self) -> PushConfig:
        """The app's push settings, read afresh each pass (a test may swap the app's settings)."""
        return push_config(settings_of(self.app))

    def poll_seconds(self) -> float:
        """PUSH_POLL_SECONDS."""
        return self.cfg.poll_seconds

    def retry_policy(self) -> RetryPolicy:
        """PUSH_RETRY_SECONDS, doubled each time, up to MAX_ATTEMPTS sends."""
        return RetryPolicy(self.cfg.retry_seconds, self.cfg.max_attempts)

    async def send(self, user: User, rows: list[Delivery], conn: Any) -> None:
        """Each row on its own: a push is one notice on the user's devices."""
        for row in rows:
            await self._send(row, conn)

    async def _send(self, row: Delivery, conn: Any) -> None:
        reason = await reason_to_skip(row)
        if reason is not None:
            await _finish(row, conn, NotificationStatus.SKIPPED, reason)
            return
        # Only devices whose login session is still alive (ending one deletes its devices;
        # the join also holds for a session ended while this row waited).
        devices = list(await PushSubscription.filter(user_id=row.user_id,
                                                     session__user_id=row.user_id)
                       .using_db(conn))
        data = await push_payload(row)
        guard: OutboundGuard = self.app.extensions["outbound"]
        results = await asyncio.gather(*(self._deliver(device, data, guard)
                                         for device in devices))
        delivered, errors, refusals = False, [], []
        for device, result in zip(devices, results, strict=True):
            if isinstance(result, Refused):
                refusals.append(f"refused: {result.reason}")
            elif result in GONE:
                await device.delete(using_db=conn)
            elif isinstance(result, int) and result < 300:
                delivered = True
                device.last_push_at = datetime.now(UTC)
                await device.save(using_db=conn, update_fields=["last_push_at"])
            else:
                errors.append(str(result))
        if delivered:
            await _finish(row, conn, NotificationStatus.SENT, None)  # earlier failures kept
        elif errors:
            await self._failed(row, conn, "; ".join(errors + refusals))
        elif refusals:  # the address guard said no: trying again would only ask it again
            await _finish(row, conn, NotificationStatus.FAILED, "; ".join(refusals)[:500])
            log.warning("push not delivered: %s", "; ".join(refusals))
        else:
            await _finish(row, conn, NotificationStatus.SKIPPED, "no subscribed device")

    async def _deliver(self, device: PushSubscription, data: bytes,
                       guard: OutboundGuard) -> int | str | Refused:
        """The push service's status code, why it could not be reached, or the guard's no.

        The endpoint is checked again now (its name may resolve elsewhere than when it was
        stored: DNS rebinding) and the connection goes to the address just checked.
        """
        try:
            destination = await guard.check(device.endpoint, schemes=("https", "http"))
            if destination.scheme == "http" and not destination.allowed_network:
                raise OutboundRefused("plain http to a public address")
        except OutboundRefused as exc:
            return Refused(str(exc))
        info = {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}}
        session = guard.pinned_session(destination)
        try:  # webpush blocks (requests): off the event loop, and never without a timeout
            response = await asyncio.to_thread(
                webpush, info, data, vapid_private_key=self.keys.vapid,
                vapid_claims=self.keys.claims(), ttl=TTL_SECONDS, timeout=self.cfg.timeout,
                requests_session=session)
        except WebPushException as exc:
            if exc.response is not None:
                return int(exc.response.status_code)
            return f"WebPushException: {exc}"
        except Exception as exc:  # unreachable, timed out, or keys the library refuses
            return f"{type(exc).__name__}: {exc}"
        finally:
            session.close()
        return int(response.status_code)

    async def _failed(self, row: Delivery, conn: Any, reason: str) -> None:
        await self.retry_later([row], conn, reason)
        log.warning("push not delivered (attempt %d): %s", row.attempts, row.last_error)


def push_config(settings: Settings) -> PushConfig:
    """The push settings from Parley's settings."""
    return PushConfig(poll_seconds=settings.push_poll_seconds,
                      timeout=settings.push_timeout_seconds,
                      retry_seconds=settings.push_retry_seconds)


async def start_push(app: Quart) -> PushSender:
    """Start this process's push sender (the VAPID key is made here on first start)."""
    sender = PushSender(app, load_vapid_keys(settings_of(app)))
    sender.start("push")
    return sender


async def stop_push(app: Quart) -> None:
    """Stop the sender; rows cut off mid-send roll back and go out later."""
    sender: PushSender | None = app.extensions.pop("push", None)
    if sender:
        await sender.stop()


async def _finish(row: Delivery, conn: Any, status: NotificationStatus,
                  note: str | None) -> None:
    await finish([row], conn, status, note)

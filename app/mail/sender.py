"""The e-mail channel: a user's claimed rows become one digest (and any link e-mails), sent over
SMTP; claiming, retries and back-off are the outbox loop's (app/outbox/loop.py)."""

from __future__ import annotations

import logging
import ssl
from collections import deque
from email.message import EmailMessage
from functools import lru_cache
from typing import Any

import aiosmtplib
from quart import Quart

from app.mail.builders import (
    build_digest,
    build_email_verification,
    build_password_changed,
    build_password_reset,
)
from app.mail.config import MailConfig, mail_config
from app.mail.health import record_delivery, record_failure, release_held_mail
from app.mail.recheck import Checked, recheck
from app.mail.tokens import email_verification_token, password_reset_token
from app.models import Channel, Delivery, Membership, NotificationKind, NotificationStatus, User
from app.outbox.loop import IMMEDIATE_KINDS, ChannelSender, RetryPolicy, finish
from config.settings import settings_of

log = logging.getLogger("parley.mail")
DEV_MAIL_KEPT = 50
# Rows sent at once in an e-mail of their own, rather than reporting a message: a link (made
# at send time) or the notice that the password was changed.
LINK_KINDS = IMMEDIATE_KINDS

class DeliveryFailed(Exception):
    """The mail server did not take the e-mail.

    `permanent`: refused for good (a 5xx about this e-mail or its recipient): never retried.
    `server`: the server, or Parley's settings for it, failed (unreachable, TLS, login, a
    demand for STARTTLS), whatever the code: retried with back-off for as long as it takes,
    and shown on the admin page, since the e-mail itself is not at fault.
    """

    def __init__(self, reason: str, permanent: bool, server: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent and not server
        self.server = server


class Mailer(ChannelSender):
    """Sends due e-mail rows of every process's users; several processes may run one each."""

    channel = Channel.EMAIL
    log = log

    def __init__(self, app: Quart) -> None:
        super().__init__(app)
        self.dev_outbox: deque[EmailMessage] = deque(maxlen=DEV_MAIL_KEPT)

    @property
    def cfg(self) -> MailConfig:
        """The app's mail settings, read afresh each pass (a test may swap the app's settings)."""
        return mail_config(settings_of(self.app))

    def poll_seconds(self) -> float:
        """MAIL_POLL_SECONDS."""
        return self.cfg.poll_seconds

    def batch_delay(self) -> float:
        """NOTIFY_DELAY: how long a row waits for others to share its e-mail."""
        return self.cfg.notify_delay

    def retry_policy(self) -> RetryPolicy:
        """MAIL_RETRY_SECONDS, doubled each time, up to MAIL_MAX_ATTEMPTS sends."""
        return RetryPolicy(self.cfg.retry_seconds, self.cfg.max_attempts)

    async def send(self, user: User, rows: list[Delivery], conn: Any) -> None:
        """One digest of the rows still owed (and a link e-mail for each kind asked for)."""
        links = [n for n in rows if n.kind in LINK_KINDS and _link_wanted(user, n.kind)]
        try:
            checked, emails = await self._build(user, rows, links)
        except Exception as exc:  # a bug building one e-mail must not hold up everyone's mail
            log.exception("building an e-mail failed; backing off like a temporary failure")
            await self._failed(rows, DeliveryFailed(f"build failed: {type(exc).__name__}",
                                                    permanent=False), conn)
            return
        unwanted = [n for n in rows if n.kind in LINK_KINDS and n not in links]
        await finish(checked.skip + unwanted, conn, NotificationStatus.SKIPPED)
        covered = links + checked.send
        try:
            for email in emails:
                await self._deliver(email)
        except DeliveryFailed as exc:
            await self._failed(covered, exc, conn)
            return
        if emails and self.cfg.smtp is not None:
            await record_delivery(conn)
        await finish(covered, conn, NotificationStatus.SENT)
        await _hold(user, checked, conn)

    async def _build(self, user: User, batch: list[Delivery],
                     links: list[Delivery]) -> tuple[Checked, list[EmailMessage]]:
        secret = settings_of(self.app).signing_key
        checked = await recheck(user, [n for n in batch if n.kind not in LINK_KINDS], self.cfg,
                                secret)
        emails = []
        kinds = {n.kind for n in links}  # one link of each kind, however often it was asked for
        if NotificationKind.PASSWORD_RESET in kinds:
            link = f"{self.cfg.base_url}/password/reset/{password_reset_token(secret, user)}"
            emails.append(await build_password_reset(user, link, self.cfg))
        if NotificationKind.PASSWORD_CHANGED in kinds:
            emails.append(await build_password_changed(user, self.cfg))
        if NotificationKind.VERIFY_EMAIL in kinds:
            token = email_verification_token(secret, user)
            link = f"{self.cfg.base_url}/email/verification/{token}"
            emails.append(await build_email_verification(user, link, self.cfg))
        if checked.items:
            emails.append(await build_digest(user, checked.items, self.cfg, secret))
        return checked, emails

    async def _deliver(self, email: EmailMessage) -> None:
        smtp = self.cfg.smtp
        if smtp is None:  # development: the log and GET /dev/mail stand in for a mail server
            log.info("e-mail (no SMTP_URL set):\n%s", email.get_body(("plain",)))
            self.dev_outbox.appendleft(email)
            return
        try:
            await aiosmtplib.send(email, hostname=smtp.hostname, port=smtp.port,
                                  username=smtp.username, password=smtp.password,
                                  use_tls=smtp.use_tls, start_tls=smtp.start_tls, timeout=30,
                                  tls_context=tls_context(smtp.ca_file))
        except aiosmtplib.SMTPRecipientsRefused as exc:  # this recipient, not the server
            codes = [r.code for r in exc.recipients]
            raise DeliveryFailed(str(exc), all(c >= 500 for c in codes)) from exc
        except aiosmtplib.SMTPDataError as exc:  # this message, after MAIL and RCPT were taken
            raise DeliveryFailed(f"{exc.code} {exc.message}", exc.code >= 500) from exc
        except aiosmtplib.SMTPResponseException as exc:  # greeting, EHLO, STARTTLS, AUTH, MAIL
            raise DeliveryFailed(explain(f"{exc.code} {exc.message}"), permanent=False,
                                 server=True) from exc
        except (aiosmtplib.SMTPException, ssl.SSLError, OSError, TimeoutError) as exc:
            raise DeliveryFailed(explain(f"{type(exc).__name__}: {exc}"), permanent=False,
                                 server=True) from exc

    async def _failed(self, rows: list[Delivery], exc: DeliveryFailed, conn: Any) -> None:
        reason = str(exc)[:500]
        if exc.server:
            await record_failure(reason, conn)
        # A server fault is no fault of the e-mail's: it waits until the server is mended.
        await self.retry_later(rows, conn, reason, permanent=exc.permanent, patient=exc.server)
        log.warning("e-mail not sent (%s): %s", "failed" if exc.permanent else "will retry",
                    reason)


async def start_mail(app: Quart) -> Mailer:
    """Start this process's sender loop (each process runs one; SKIP LOCKED shares the work).

    While mail is failing, a start (typically with mended settings) tries the held mail at once
    rather than after the back-off it is waiting out (up to an hour).
    """
    await release_held_mail()
    mailer = Mailer(app)
    mailer.start("mail")
    return mailer


async def stop_mail(app: Quart) -> None:
    """Stop the loop; a batch cut off mid-send rolls back and is sent again later."""
    mailer: Mailer | None = app.extensions.pop("mail", None)
    if mailer:
        await mailer.stop()


@lru_cache(maxsize=4)
def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's trusted CAs, plus SMTP_CA_FILE's (a private CA, or a self-signed server's
    own certificate) when it is set; host names are always checked. Made once per file (an
    unreadable one raises ssl.SSLError at the send, which counts as a server fault)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def explain(reason: str) -> str:
    """The failure, with what usually mends it when that is clear from the failure."""
    if "CERTIFICATE_VERIFY_FAILED" in reason:
        return f"{reason} (if the server's certificate is from a private CA or self-signed, " \
               "set SMTP_CA_FILE to that CA's certificate)"
    if reason.startswith("530") and "STARTTLS" in reason.upper():
        return f"{reason} (the server demands TLS: use smtps:// for its TLS port, or its " \
               "submission port by host name, where Parley always uses STARTTLS)"
    return reason


def _link_wanted(user: User, kind: NotificationKind) -> bool:
    """A reset link goes to any active user; a verification link only while it is needed."""
    if kind == NotificationKind.VERIFY_EMAIL:
        return user.is_active and user.email_verified_at is None
    return user.is_active


async def _hold(user: User, checked: Checked, conn: Any) -> None:
    """After an e-mail about a room, no more about it until the user visits it."""
    rooms = {n.room_id for n in checked.send if n.kind != NotificationKind.INVITATION}
    rooms.discard(None)
    if rooms:
        await Membership.filter(user_id=user.id, room_id__in=rooms).using_db(conn) \
            .update(email_held=True)

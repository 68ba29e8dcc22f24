"""A real SMTP server in the test process (aiosmtpd), and pointing the app's sender at it."""

from __future__ import annotations

import asyncio
import datetime
import email
import inspect
import ssl
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.policy import default
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from quart import Quart

from app.polling import stop_task
from config.settings import attach, settings_of
from tests.helpers import WAIT
from tests.server import free_port


@dataclass
class Received:
    """One e-mail as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


class Inbox:
    """aiosmtpd handler: keeps what it accepts; `replies` queues answers such as "421 busy"."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the handler runs on the controller's own thread
        self._received: list[Received] = []
        self.replies: deque[str] = deque()
        self.attempts = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.attempts += 1
            reply = self.replies.popleft() if self.replies else "250 OK"
            if reply.startswith("250"):
                message = email.message_from_bytes(envelope.content, policy=default)
                self._received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                               message))  # type: ignore[arg-type]
        return reply

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def to(self, address: str) -> list[Received]:
        """E-mails delivered to `address`."""
        return [r for r in self.received if address in r.rcpt_tos]


class SmtpServer:
    """An aiosmtpd server on a fixed loopback port that can be stopped and started again.

    With `tls` (a server context): `implicit` speaks TLS from the first byte (smtps://),
    otherwise STARTTLS is offered and demanded before MAIL (530 until then).
    """

    def __init__(self, inbox: Inbox | None = None, tls: ssl.SSLContext | None = None,
                 implicit: bool = False, **options: Any) -> None:
        self.port = free_port()  # aiosmtpd cannot listen on port 0 and report the port it got
        self.inbox = inbox or Inbox()
        self.tls, self.implicit = tls, implicit
        self.options = options  # more of aiosmtpd's SMTP options (auth_required, ...)
        self._controller: Controller | None = None

    def start(self) -> None:
        options = dict(self.options)
        if self.tls is not None and self.implicit:
            options["ssl_context"] = self.tls
        elif self.tls is not None:
            options |= {"tls_context": self.tls, "require_starttls": True}
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                      **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def self_signed_tls(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (its PEM file, as SMTP_CA_FILE would name it)
    and a server context that presents it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "parley test mail server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


def send_mail_to(app: Quart, server: SmtpServer, *, delay: float = 0.4) -> Callable[[], None]:
    """Run the app on settings pointing at `server`, with short delays; returns the undo."""
    before = settings_of(app)
    attach(app, replace(before, smtp_url=f"smtp://127.0.0.1:{server.port}",
                        notify_delay_seconds=delay, mail_poll_seconds=0.05,
                        mail_retry_seconds=0.1, presence_grace_seconds=0.0,
                        base_url="http://parley.test",
                        # links in e-mails name parley.test; the test client still calls localhost
                        allowed_hosts=(*before.allowed_hosts, "localhost")))
    return lambda: attach(app, before)


async def wake_mailer(app: Quart) -> None:
    """Restart the app's sender loop, so that settings just attached apply now: otherwise the
    loop first sleeps out the poll interval it began under (MAIL_POLL_SECONDS, 5 s by default)."""
    mailer = app.extensions["mail"]
    await stop_task(mailer.task)
    mailer.task = asyncio.create_task(mailer.run())


async def calm_mailer(app: Quart) -> None:
    """After the settings are restored: restart the sender loop with its next pass a whole poll
    interval away, as if it had just made one. Otherwise the pass already due on the short poll
    falls into the next test's set-up, where it may claim the confirmation link a sign-up has
    just asked for (the sign-up's confirmation then finds the row no longer pending)."""
    mailer = app.extensions["mail"]
    await stop_task(mailer.task)

    async def run_after_a_poll() -> None:
        await asyncio.sleep(mailer.cfg.poll_seconds)  # the loop's own pause, not a test's wait
        await mailer.run()

    mailer.task = asyncio.create_task(run_after_a_poll())


def hold_mail(app: Quart) -> Callable[[], None]:
    """Nothing falls due until the returned release() (then everything pending is due at once).

    For a test whose steps must all happen inside one batching period, however slowly a busy
    machine runs them; the smtp fixture's undo restores the delays afterwards.
    """
    attach(app, replace(settings_of(app), notify_delay_seconds=3600.0))
    return lambda: attach(app, replace(settings_of(app), notify_delay_seconds=0.0))


async def eventually(check: Callable[[], Awaitable[bool]] | Callable[[], bool],
                     timeout: float = WAIT) -> None:
    """Wait until `check()` is true (polls; fails the test only if it never becomes true)."""
    async with asyncio.timeout(timeout):
        while True:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.05)

"""Mail settings of this process: where to send, how long to batch, how often to look."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from config.settings import Settings


@dataclass(frozen=True)
class SmtpTarget:
    """How to reach the mail server; TLS is never opportunistic (forced or plainly off)."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps://: TLS from the first byte
    start_tls: bool = False  # smtp:// to anything but loopback: STARTTLS is required


@dataclass
class MailConfig:
    """Mutable so a test can shorten the delays of a running app."""

    smtp: SmtpTarget | None
    mail_from: str
    base_url: str
    notify_delay: float
    presence_grace: float
    poll_seconds: float
    retry_seconds: float
    max_attempts: int = 10

    @property
    def grace(self) -> timedelta:
        """How long after their last heartbeat a user still counts as online."""
        return timedelta(seconds=self.presence_grace)


_current: MailConfig | None = None


def mail_config(settings: Settings) -> MailConfig:
    """The mail settings from Parley's settings."""
    return MailConfig(smtp=parse_smtp_url(settings.smtp_url), mail_from=settings.mail_from,
                      base_url=(settings.base_url or "").rstrip("/"),
                      notify_delay=settings.notify_delay_seconds,
                      presence_grace=settings.presence_grace_seconds,
                      poll_seconds=settings.mail_poll_seconds,
                      retry_seconds=settings.mail_retry_seconds)


def use(config: MailConfig) -> None:
    """Make `config` the one actions read (set when the app starts serving)."""
    global _current
    _current = config


def current() -> MailConfig:
    """The mail settings of this process (defaults before the app has started)."""
    return _current or mail_config(Settings(secret_key="unused"))


def parse_smtp_url(url: str | None) -> SmtpTarget | None:
    """smtp://user:pass@host:587 (STARTTLS forced), smtps://host (TLS), smtp://127.0.0.1:1025."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465")
    implicit = parts.scheme == "smtps"
    loopback = parts.hostname in {"127.0.0.1", "::1", "localhost"}
    return SmtpTarget(hostname=parts.hostname, port=parts.port or (465 if implicit else 587),
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None,
                      use_tls=implicit, start_tls=not implicit and not loopback)

"""Mail settings of a running app, derived from its Settings: where to send, how long to batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from config.settings import Settings, SmtpTarget

MAX_ATTEMPTS = 10  # sends of one e-mail before it is marked failed


@dataclass(frozen=True)
class MailConfig:
    """The mail part of Settings, in the units the sender uses."""

    smtp: SmtpTarget | None
    mail_from: str
    base_url: str
    notify_delay: float
    grace: timedelta  # how long after their last heartbeat a user still counts as online
    poll_seconds: float
    retry_seconds: float
    max_attempts: int = MAX_ATTEMPTS


def mail_config(settings: Settings) -> MailConfig:
    """The mail settings from Parley's settings."""
    return MailConfig(smtp=settings.smtp, mail_from=settings.mail_from,
                      base_url=settings.base_url or "",
                      notify_delay=settings.notify_delay_seconds,
                      grace=presence_grace(settings),
                      poll_seconds=settings.mail_poll_seconds,
                      retry_seconds=settings.mail_retry_seconds)


def presence_grace(settings: Settings) -> timedelta:
    """How long after their last connection a user still counts as online (not e-mailed)."""
    return timedelta(seconds=settings.presence_grace_seconds)

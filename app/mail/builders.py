"""E-mails built with the standard library: text and HTML parts, one-line headers, unsubscribe."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from app.mail.config import MailConfig
from app.mail.tokens import unsubscribe_token
from app.models import NotificationKind, User
from app.rendering import render_fragment


@dataclass(frozen=True)
class Item:
    """One line of a digest: who did what where, with a link to it."""

    kind: NotificationKind
    actor: str
    place: str  # a room's name, or "" for a private conversation
    excerpt: str  # "" for private messages: their content is never e-mailed
    url: str
    mute_url: str = ""
    count: int = 1
    file_name: str = ""  # the name of the file the message carries, if any

    @property
    def summary(self) -> str:
        """One line saying what happened, with no message content."""
        messages = "a private message" if self.count == 1 else f"{self.count} private messages"
        return {
            NotificationKind.DIRECT_MESSAGE: f"{self.actor} sent you {messages}",
            NotificationKind.PRIVATE_REQUEST: f"{self.actor} wants to talk privately",
            NotificationKind.MENTION: f"{self.actor} mentioned you in {self.place}",
            NotificationKind.ROOM_MESSAGE: f"{self.actor} wrote in {self.place}",
            NotificationKind.INVITATION: f"{self.actor} invited you to the room {self.place}",
        }[self.kind]


async def build_digest(user: User, items: list[Item], cfg: MailConfig,
                       secret: str) -> EmailMessage:
    """One e-mail for everything that waited for `user`."""
    subject = items[0].summary if len(items) == 1 else f"{len(items)} new things on Parley"
    unsubscribe = f"{cfg.base_url}/unsubscribe/{unsubscribe_token(secret, user.id)}"
    context = {"user": user, "items": items, "unsubscribe_url": unsubscribe,
               "profile_url": f"{cfg.base_url}/profile"}
    message = _envelope(user, subject, cfg)
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(await render_fragment("mail/digest.txt", **context))
    message.add_alternative(await render_fragment("mail/digest.html", **context), subtype="html")
    return message


async def build_password_reset(user: User, link: str, cfg: MailConfig) -> EmailMessage:
    """The e-mail with a password reset link."""
    message = _envelope(user, "Reset your Parley password", cfg)
    context = {"user": user, "link": link}
    message.set_content(await render_fragment("mail/password_reset.txt", **context))
    message.add_alternative(await render_fragment("mail/password_reset.html", **context),
                            subtype="html")
    return message


async def build_password_changed(user: User, cfg: MailConfig) -> EmailMessage:
    """The notice that the account's password was changed (by someone signed in as them)."""
    message = _envelope(user, "Your Parley password was changed", cfg)
    context = {"user": user, "reset_url": f"{cfg.base_url}/password/reset"}
    message.set_content(await render_fragment("mail/password_changed.txt", **context))
    message.add_alternative(await render_fragment("mail/password_changed.html", **context),
                            subtype="html")
    return message


async def build_email_verification(user: User, link: str, cfg: MailConfig) -> EmailMessage:
    """The e-mail asking the owner of an address to confirm it."""
    message = _envelope(user, "Confirm your e-mail address for Parley", cfg)
    context = {"user": user, "link": link}
    message.set_content(await render_fragment("mail/verify_email.txt", **context))
    message.add_alternative(await render_fragment("mail/verify_email.html", **context),
                            subtype="html")
    return message


def one_line(text: str) -> str:
    """Header text with every line break and control character turned into a space."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _envelope(user: User, subject: str, cfg: MailConfig) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = cfg.mail_from
    # Address() puts the display name in quotes and refuses line breaks in the address.
    message["To"] = Address(display_name=one_line(user.username), addr_spec=user.email)
    message["Date"] = formatdate(localtime=False)
    # The instance's own host name: a made-up domain looks forged to spam filters.
    message["Message-ID"] = make_msgid(domain=urlsplit(cfg.base_url).hostname or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    return message

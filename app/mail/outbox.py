"""Writing e-mail outbox rows inside the transaction that stores what they are about.

A message's rows (e-mail and push) are written by the posting statement itself, from the one
rule of who is notified (app/actions/message_insert.py, NOTIFIED); these are the others.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.models import Channel, Delivery, Invitation, NotificationKind, User
from app.queries.presence import is_online


async def enqueue_private_request(user: User, actor: User, room_id: int, conn: Any) -> None:
    """One e-mail telling someone with no key yet that `actor` wants to talk privately.

    Queued once per person and room; the send-time check drops it if they come online (their
    browser makes a key then) or make a key first.
    """
    if not user.email_notifications or await Delivery.emails().filter(
            user_id=user.id, room_id=room_id,
            kind=NotificationKind.PRIVATE_REQUEST).using_db(conn).exists():
        return
    await _email(user.id, NotificationKind.PRIVATE_REQUEST, conn, actor_id=actor.id,
                 room_id=room_id)


async def enqueue_invitation(invitation: Invitation, conn: Any, grace: timedelta) -> None:
    """A row for an offline invitee."""
    invitee = await User.get(id=invitation.invitee_id, using_db=conn)
    if await would_email(invitee, grace):
        await _email(invitee.id, NotificationKind.INVITATION, conn,
                     actor_id=invitation.inviter_id, room_id=invitation.room_id,
                     invitation_id=invitation.id)


async def enqueue_password_reset(user: User) -> None:
    """A row asking for a reset link; the link itself is made when the e-mail is sent."""
    await _email(user.id, NotificationKind.PASSWORD_RESET)


async def enqueue_password_changed(user: User, conn: Any = None) -> None:
    """A row for the notice that the account's password was changed (sent at once)."""
    await _email(user.id, NotificationKind.PASSWORD_CHANGED, conn)


async def enqueue_email_verification(user: User, conn: Any = None) -> None:
    """A row asking for a verification link to the user's current address (made at send time)."""
    await _email(user.id, NotificationKind.VERIFY_EMAIL, conn)


async def _email(user_id: int, kind: NotificationKind, conn: Any = None, **about: Any) -> None:
    """One e-mail outbox row; `about` names what it is about (actor_id, room_id, ...)."""
    await Delivery.create(channel=Channel.EMAIL, user_id=user_id, kind=kind, using_db=conn,
                          **about)


async def would_email(user: User, grace: timedelta) -> bool:
    """True when a message for `user` now would reach them by e-mail (offline, not opted out).

    `grace`: how long after their last connection a user still counts as online
    (`app.mail.config.presence_grace(settings)`).
    """
    return may_email(user) and not await is_online(user.id, grace)


def may_email(user: User) -> bool:
    """Notifications go only to active users' verified addresses, and only if they want them."""
    return user.is_active and user.email_verified_at is not None and user.email_notifications

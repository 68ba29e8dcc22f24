"""Writing outbox rows inside the transaction that stores the message or invitation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.mentions import mentioned_names
from app.models import (
    EmailMode,
    Invitation,
    Membership,
    Message,
    Notification,
    NotificationKind,
    User,
)
from app.push.outbox import enqueue_push
from app.queries.presence import is_online


async def enqueue_room_message(message: Message, author: User, conn: Any,
                               grace: timedelta, direct: bool = False,
                               followers: set[int] | frozenset[int] = frozenset()) -> None:
    """Rows for offline members mentioned in the message, or who want every message.

    In a direct room every message is addressed to every member, and the row says only who
    wrote: the content is ciphertext, and never goes into an e-mail. A thread reply counts as
    a mention for the thread's `followers` (user ids; app/actions/threads.py).
    """
    names = set() if direct else mentioned_names(message.body)
    members = await Membership.filter(room_id=message.room_id).exclude(user_id=author.id) \
        .exclude(email_mode=EmailMode.NONE).using_db(conn).prefetch_related("user")
    for membership in members:
        mentioned = membership.user.username_key in names or membership.user_id in followers
        if not (mentioned or direct) and membership.email_mode != EmailMode.ALL:
            continue
        kind = NotificationKind.DIRECT_MESSAGE if direct else \
            NotificationKind.MENTION if mentioned else NotificationKind.ROOM_MESSAGE
        about = {"actor_id": author.id, "room_id": message.room_id, "message_id": message.id}
        await enqueue_push(membership.user_id, kind, conn, **about)
        if membership.email_held or not await would_email(membership.user, grace):
            continue
        await Notification.create(user_id=membership.user_id, kind=kind, using_db=conn, **about)


async def enqueue_private_request(user: User, actor: User, room_id: int, conn: Any) -> None:
    """One e-mail telling someone with no key yet that `actor` wants to talk privately.

    Queued once per person and room; the send-time check drops it if they come online (their
    browser makes a key then) or make a key first.
    """
    if not user.email_notifications or await Notification.filter(
            user_id=user.id, room_id=room_id,
            kind=NotificationKind.PRIVATE_REQUEST).using_db(conn).exists():
        return
    await Notification.create(user_id=user.id, kind=NotificationKind.PRIVATE_REQUEST,
                              actor_id=actor.id, room_id=room_id, using_db=conn)


async def enqueue_invitation(invitation: Invitation, conn: Any, grace: timedelta) -> None:
    """A row for an offline invitee."""
    invitee = await User.get(id=invitation.invitee_id, using_db=conn)
    if await would_email(invitee, grace):
        await Notification.create(user_id=invitee.id, kind=NotificationKind.INVITATION,
                                  actor_id=invitation.inviter_id, room_id=invitation.room_id,
                                  invitation_id=invitation.id, using_db=conn)


async def enqueue_password_reset(user: User) -> None:
    """A row asking for a reset link; the link itself is made when the e-mail is sent."""
    await Notification.create(user_id=user.id, kind=NotificationKind.PASSWORD_RESET)


async def enqueue_password_changed(user: User, conn: Any = None) -> None:
    """A row for the notice that the account's password was changed (sent at once)."""
    await Notification.create(user_id=user.id, kind=NotificationKind.PASSWORD_CHANGED,
                              using_db=conn)


async def enqueue_email_verification(user: User, conn: Any = None) -> None:
    """A row asking for a verification link to the user's current address (made at send time)."""
    await Notification.create(user_id=user.id, kind=NotificationKind.VERIFY_EMAIL,
                              using_db=conn)


async def would_email(user: User, grace: timedelta) -> bool:
    """True when a message for `user` now would reach them by e-mail (offline, not opted out).

    `grace`: how long after their last connection a user still counts as online
    (`app.mail.config.presence_grace(settings)`).
    """
    return may_email(user) and not await is_online(user.id, grace)


def may_email(user: User) -> bool:
    """Notifications go only to active users' verified addresses, and only if they want them."""
    return user.is_active and user.email_verified_at is not None and user.email_notifications

"""Writing outbox rows inside the transaction that stores the message or invitation."""

from __future__ import annotations

from typing import Any

from app.mail import config
from app.models import (
    Conversation,
    DirectMessage,
    Invitation,
    Notification,
    NotificationKind,
    User,
)
from app.realtime.presence import is_online


async def enqueue_direct_message(message: DirectMessage, conversation: Conversation,
                                 recipient: User, conn: Any) -> None:
    """A row for an offline recipient of a private message (its content never goes in it)."""
    held = conversation.low_email_held if conversation.low_user_id == recipient.id \
        else conversation.high_email_held
    if held or not await would_email(recipient):
        return
    await Notification.create(user_id=recipient.id, kind=NotificationKind.DIRECT_MESSAGE,
                              actor_id=message.sender_id, conversation_id=conversation.id,
                              direct_message_id=message.id, using_db=conn)


async def enqueue_invitation(invitation: Invitation, conn: Any) -> None:
    """A row for an offline invitee."""
    invitee = await User.get(id=invitation.invitee_id).using_db(conn)
    if await would_email(invitee):
        await Notification.create(user_id=invitee.id, kind=NotificationKind.INVITATION,
                                  actor_id=invitation.inviter_id, room_id=invitation.room_id,
                                  invitation_id=invitation.id, using_db=conn)


async def enqueue_password_reset(user: User) -> None:
    """A row asking for a reset link; the link itself is made when the e-mail is sent."""
    await Notification.create(user_id=user.id, kind=NotificationKind.PASSWORD_RESET)


async def would_email(user: User) -> bool:
    """True when a message for `user` now would reach them by e-mail (offline, not opted out)."""
    return user.email_notifications and not await is_online(user.id, config.current().grace)

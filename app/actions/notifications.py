"""E-mail notification settings: the profile's switch and batching period, a room's mode."""

from __future__ import annotations

from app.actions.accounts import account_changed
from app.errors import InvalidInput
from app.mail.tokens import Unsubscribe
from app.models import Delivery, EmailMode, Membership, NotificationStatus, User

# Batching periods offered on the profile page (seconds); None is the server's default.
DELAY_CHOICES = {"": None, "60": 60, "300": 300, "900": 900, "3600": 3600}


async def update_notification_settings(user: User, enabled: bool, delay: str) -> User:
    """Turn e-mail notifications on or off and choose how long to batch them."""
    if delay not in DELAY_CHOICES:
        raise InvalidInput({"delay": "Choose one of the batching periods offered."})
    user.email_notifications, user.notify_delay_seconds = enabled, DELAY_CHOICES[delay]
    await user.save(update_fields=["email_notifications", "notify_delay_seconds"])
    await account_changed(user.id, signed_out=False)
    if not enabled:
        await _drop_pending(user.id)
    return user


async def update_email_mode(membership: Membership, mode: str) -> Membership:
    """Choose which of a room's messages may be e-mailed: mentions, all, or none."""
    try:
        membership.email_mode = EmailMode(mode)
    except ValueError:
        raise InvalidInput({"email_mode": "Choose mentions, every message, or nothing."}) from None
    await membership.save(update_fields=["email_mode"])
    if membership.email_mode == EmailMode.NONE:
        await _drop_pending(membership.user_id, membership.room_id)
    return membership


async def unsubscribe(request: Unsubscribe) -> str | None:
    """Apply a signed unsubscribe link: all mail, or one room's; the room's name if one."""
    user = await User.get_or_none(id=request.user_id)
    if user is None:
        return None
    if request.room_id is None:
        await update_notification_settings(user, False, _delay_choice(user))
        return None
    membership = await Membership.get_or_none(user_id=user.id, room_id=request.room_id) \
        .prefetch_related("room")
    if membership is None:
        return None
    await update_email_mode(membership, EmailMode.NONE)
    return membership.room.name


def _delay_choice(user: User) -> str:
    return "" if user.notify_delay_seconds is None else str(user.notify_delay_seconds)


async def _drop_pending(user_id: int, room_id: int | None = None) -> None:
    """Pending rows the user no longer wants are skipped now (a reset link still goes out)."""
    rows = Delivery.emails().filter(user_id=user_id, status=NotificationStatus.PENDING) \
        .exclude(kind="password_reset")
    if room_id is not None:
        rows = rows.filter(room_id=room_id)
    await rows.update(status=NotificationStatus.SKIPPED)

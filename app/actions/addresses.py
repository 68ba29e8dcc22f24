"""E-mail addresses: confirming one by its link, changing it, and asking for a new link."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import F

from app.actions.accounts import EMAIL
from app.errors import InvalidInput
from app.mail.outbox import enqueue_email_verification
from app.models import Delivery, NotificationKind, NotificationStatus, User
from app.realtime.publish import in_transaction
from app.security import password_matches


async def verify_email(user: User) -> None:
    """Mark the user's current address as theirs (the caller checked the link's token).

    The address's generation moves on, so this link, and any other sent for it, is spent.
    """
    user.email_verified_at = datetime.now(UTC)
    async with in_transaction() as conn:
        await User.filter(id=user.id, email=user.email,
                          email_generation=user.email_generation).using_db(conn) \
            .update(email_verified_at=user.email_verified_at,
                    email_generation=F("email_generation") + 1)
        # Links asked for but not sent yet are no longer needed.
        await Delivery.emails().filter(user_id=user.id, kind=NotificationKind.VERIFY_EMAIL,
                                  status=NotificationStatus.PENDING).using_db(conn).delete()


async def change_email(user: User, email: str, password: str) -> None:
    """Set a new address, unverified until its owner follows the link sent to it."""
    email = email.strip()
    if not await password_matches(user.password_hash, password):
        raise InvalidInput({"password": "That is not your current password."})
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidInput({"email": "Enter an e-mail address like name@example.com."})
    if email.lower() == user.email.lower() and user.email_verified_at is not None:
        return  # the same, already confirmed address: nothing to do
    user.email, user.email_verified_at = email, None
    user.email_generation += 1  # links sent for the old address, or for this one before, die
    async with in_transaction() as conn:
        await user.save(update_fields=["email", "email_verified_at", "email_generation"],
                        using_db=conn)
        await _send_new_link(user, conn)


async def resend_verification(user: User) -> None:
    """Another link to the user's unconfirmed address (links already sent keep working)."""
    if user.email_verified_at is None:
        await _send_new_link(user, None)


async def _send_new_link(user: User, conn: object) -> None:
    # A still-pending request is enough: the link is made when the e-mail goes out.
    pending = Delivery.emails().filter(user_id=user.id, kind=NotificationKind.VERIFY_EMAIL,
                                  status=NotificationStatus.PENDING)
    if not await pending.using_db(conn).exists():  # type: ignore[arg-type]
        await enqueue_email_verification(user, conn)

"""Running the instance's people: deactivating, reactivating and appointing administrators."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from app.actions.errors import Forbidden
from app.models import Session, User
from app.realtime.events import AccountClosed
from app.realtime.publish import publish


async def deactivate_user(admin: User, user: User) -> None:
    """Shut a user out at once: sessions revoked, sockets closed, no more e-mail or pushes.

    Their messages stay. Pending e-mails (and pushes) are skipped when they come due: the outbox re-checks.
    """
    if user.id == admin.id:
        raise Forbidden("You cannot deactivate your own account.")
    if user.deactivated_at is not None:
        return
    user.deactivated_at = datetime.now(UTC)
    async with in_transaction() as conn:
        await user.save(update_fields=["deactivated_at"], using_db=conn)
        await Session.filter(user_id=user.id).using_db(conn).delete()
        # Delivered at commit: every process closes this user's sockets.
        await publish(AccountClosed(user_id=user.id), using_db=conn)


async def reactivate_user(user: User) -> None:
    """Let a deactivated user log in again (their old sessions stay revoked)."""
    user.deactivated_at = None
    await user.save(update_fields=["deactivated_at"])


async def set_administrator(admin: User, user: User, is_admin: bool) -> None:
    """Make `user` an administrator, or take the role back (never from oneself)."""
    if user.id == admin.id and not is_admin:
        raise Forbidden("You cannot stop being an administrator yourself: ask another one.")
    if user.is_bot:
        raise Forbidden("A webhook cannot be an administrator.")
    user.is_admin = is_admin
    await user.save(update_fields=["is_admin"])

"""Running the instance's people: deactivating, reactivating and appointing administrators."""

from __future__ import annotations

from datetime import UTC, datetime

from app.actions.accounts import account_changed, revoke_sessions
from app.errors import Forbidden
from app.models import User


async def deactivate_user(admin: User, user: User) -> None:
    """Shut a user out at once: sessions revoked, sockets closed, no more e-mail or pushes.

    Their messages stay. Pending e-mails (and pushes) are skipped when they come due: the outbox re-checks.
    """
    if user.id == admin.id:
        raise Forbidden("You cannot deactivate your own account.")
    if user.deactivated_at is not None:
        return
    user.deactivated_at = datetime.now(UTC)
    await user.save(update_fields=["deactivated_at"])
    # Sessions end and every process closes this user's sockets (AccountChanged, signed out).
    await revoke_sessions(user.id)


async def reactivate_user(user: User) -> None:
    """Let a deactivated user log in again (their old sessions stay revoked)."""
    user.deactivated_at = None
    await user.save(update_fields=["deactivated_at"])
    await account_changed(user.id, signed_out=False)


async def set_administrator(admin: User, user: User, is_admin: bool) -> None:
    """Make `user` an administrator, or take the role back (never from oneself)."""
    if user.id == admin.id and not is_admin:
        raise Forbidden("You cannot stop being an administrator yourself: ask another one.")
    if user.is_bot:
        raise Forbidden("A webhook cannot be an administrator.")
    user.is_admin = is_admin
    await user.save(update_fields=["is_admin"])
    await account_changed(user.id, signed_out=False)  # cached copies of the user are dropped

"""Running the instance's people: deactivating, reactivating and appointing administrators.

The instance always keeps an active administrator. Each change to the role or to an
administrator's account locks every active administrator's row first (one transaction), so
two administrators demoting or deactivating each other at the same moment cannot both win.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from app.actions.accounts import account_changed, revoke_sessions
from app.actions.webhooks import revoke_room_webhooks
from app.errors import Conflict, Forbidden
from app.models import User
from app.realtime.publish import in_transaction

NO_LONGER_ADMIN = "You are no longer an administrator, so nothing was changed."


async def deactivate_user(admin: User, user: User) -> None:
    """Shut a user out at once: sessions revoked, sockets closed, no more e-mail or pushes.

    Their messages stay. Pending e-mails (and pushes) are skipped when they come due: the outbox re-checks.
    """
    if user.id == admin.id:
        raise Forbidden("You cannot deactivate your own account.")
    async with in_transaction() as conn:
        await _keep_an_administrator(admin, user, conn)
        now = datetime.now(UTC)
        if not await User.filter(id=user.id, deactivated_at=None).using_db(conn) \
                .update(deactivated_at=now):
            return  # deactivated already
        # Their webhooks spoke for them: they stop with the account.
        await revoke_room_webhooks(None, conn, Q(creator_id=user.id))
    user.deactivated_at = now
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
    async with in_transaction() as conn:
        await _keep_an_administrator(admin, None if is_admin else user, conn)
        await User.filter(id=user.id).using_db(conn).update(is_admin=is_admin)
        # Cached copies of the user are dropped (after the commit).
        await account_changed(user.id, signed_out=False, using_db=conn)
    user.is_admin = is_admin


async def _keep_an_administrator(admin: User, losing: User | None,
                                 conn: BaseDBAsyncClient) -> None:
    """Lock the active administrators' rows; refuse if `losing` (about to lose the role or the
    account) is the last of them, or if `admin` is no longer one of them."""
    active = await User.filter(is_admin=True, deactivated_at=None, is_bot=False) \
        .select_for_update().using_db(conn).order_by("id")  # one order: no deadlock
    ids = {person.id for person in active}
    if losing is not None and not ids - {losing.id}:
        raise Conflict(f"{losing.username} is the last active administrator, and the instance "
                       "needs one: appoint another administrator first.")
    if admin.id not in ids:
        raise Forbidden(NO_LONGER_ADMIN)

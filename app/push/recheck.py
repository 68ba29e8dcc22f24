"""Send-time checks for a push: is it still unread, not muted, and is its user still away?"""

from __future__ import annotations

from app.models import EmailMode, Membership, PushDelivery, Session
from app.queries.presence import is_online
from app.queries.threads import has_read


async def reason_to_skip(row: PushDelivery) -> str | None:
    """None if the push should go out now, else why not ("deactivated", "read", "online", ...)."""
    await row.fetch_related("user")
    if row.user.deactivated_at is not None:
        return "deactivated"  # a closed account is never notified
    if not await Session.exists(user_id=row.user_id):
        return "signed out"  # devices end with their sessions; none is left to show it
    if await is_online(row.user_id):
        return "online"  # an open tab shows it, with a browser notification if asked for
    membership = await Membership.get_or_none(room_id=row.room_id, user_id=row.user_id)
    await row.fetch_related("message")
    if membership is None:
        return "left the room"
    if membership.email_mode == EmailMode.NONE:
        return "muted"
    if row.message is None or row.message.deleted_at is not None:
        return "deleted"
    if await has_read(membership, row.message):  # the room's read mark, or the thread's
        return "read"
    return None

"""Send-time checks for a push: is its user still away and signed in, and is it still owed?"""

from __future__ import annotations

from app.models import Delivery, Session
from app.outbox.recheck import room_row_skip_reason
from app.queries.presence import is_online


async def reason_to_skip(row: Delivery) -> str | None:
    """None if the push should go out now, else why not ("deactivated", "read", "online", ...)."""
    await row.fetch_related("user")
    if row.user.deactivated_at is not None:
        return "deactivated"  # a closed account is never notified
    if not await Session.exists(user_id=row.user_id):
        return "signed out"  # devices end with their sessions; none is left to show it
    if await is_online(row.user_id):
        return "online"  # an open tab shows it, with a browser notification if asked for
    return await room_row_skip_reason(row)

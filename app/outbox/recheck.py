"""Send-time checks both channels share: is a row about a message in a room still owed?"""

from __future__ import annotations

from app.models import Channel, Delivery, Membership, NotificationKind
from app.queries.threads import has_read

ROOM_KINDS = (NotificationKind.MENTION, NotificationKind.ROOM_MESSAGE,
              NotificationKind.DIRECT_MESSAGE)


async def room_row_skip_reason(row: Delivery) -> str | None:
    """None while a row about a room's message is still owed, else why not.

    "left the room", "muted" (the member's involvement in the room no longer wants it: nothing,
    invisible, or mentions only for a row about any message), "deleted", "read", and for
    e-mail "held" (one e-mail per room until its user visits it). The user-level checks
    (deactivated, online, ...) are the channel's.
    """
    membership = await Membership.get_or_none(room_id=row.room_id, user_id=row.user_id)
    if membership is None:
        return "left the room"
    if not membership.involvement.wants(row.kind != NotificationKind.ROOM_MESSAGE):
        return "muted"
    await row.fetch_related("message")
    if row.message is None or row.message.deleted_at is not None:
        return "deleted"  # an edit needs nothing: the excerpt is read at send time
    if await has_read(membership, row.message):  # the room's read mark, or the thread's
        return "read"
    if row.channel == Channel.EMAIL and membership.email_held:
        return "held"
    return None

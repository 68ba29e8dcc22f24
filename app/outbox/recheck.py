"""Send-time checks both channels share: is a row about a message in a room still owed?"""

from __future__ import annotations

from app.models import Channel, Delivery, EmailMode, Membership, NotificationKind

ROOM_KINDS = (NotificationKind.MENTION, NotificationKind.ROOM_MESSAGE,
              NotificationKind.DIRECT_MESSAGE)


async def room_row_skip_reason(row: Delivery) -> str | None:
    """None while a row about a room's message is still owed, else why not.

    "left the room", "muted" (the room set to nothing, or to mentions only for a row about
    any message), "deleted", "read", and for e-mail "held" (one e-mail per room until its
    user visits it). The user-level checks (deactivated, online, ...) are the channel's.
    """
    membership = await Membership.get_or_none(room_id=row.room_id, user_id=row.user_id)
    if membership is None:
        return "left the room"
    if membership.email_mode == EmailMode.NONE or (
            row.kind == NotificationKind.ROOM_MESSAGE and membership.email_mode != EmailMode.ALL):
        return "muted"
    await row.fetch_related("message")
    if row.message is None or row.message.deleted_at is not None:
        return "deleted"  # an edit needs nothing: the excerpt is read at send time
    if membership.last_read_seq >= row.message.seq:
        return "read"
    if row.channel == Channel.EMAIL and membership.email_held:
        return "held"
    return None

"""Send-time checks for a push: is it still unread, not muted, and is its user still away?"""

from __future__ import annotations

from app.models import Conversation, EmailMode, Membership, NotificationKind, PushDelivery
from app.realtime.presence import is_online


async def reason_to_skip(row: PushDelivery) -> str | None:
    """None if the push should go out now, else why not ("read", "muted", "online", ...)."""
    if await is_online(row.user_id):
        return "online"  # an open tab shows it, with a browser notification if asked for
    if row.kind == NotificationKind.DIRECT_MESSAGE:
        return await _direct_message(row)
    return await _room_message(row)


async def _room_message(row: PushDelivery) -> str | None:
    membership = await Membership.get_or_none(room_id=row.room_id, user_id=row.user_id)
    await row.fetch_related("message")
    if membership is None:
        return "left the room"
    if membership.email_mode == EmailMode.NONE:
        return "muted"
    if row.message.deleted_at is not None:
        return "deleted"
    if membership.last_read_seq >= row.message.seq:
        return "read"
    return None


async def _direct_message(row: PushDelivery) -> str | None:
    conversation = await Conversation.get(id=row.conversation_id)
    await row.fetch_related("direct_message")
    mine = "low" if conversation.low_user_id == row.user_id else "high"
    if getattr(conversation, f"{mine}_read_seq") >= row.direct_message.seq:
        return "read"
    return None

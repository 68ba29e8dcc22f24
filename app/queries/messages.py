"""Reading a room's history: newest page, pages before a seq, and catch-up after a seq."""

from __future__ import annotations

from app.models import Message, Room

PAGE_MAX = 200
# What templates/messages/_message.html reads besides the message row: load these with it.
MESSAGE_RELATIONS = ("author", "image")


async def latest_messages(room: Room, limit: int) -> list[Message]:
    """The newest `limit` messages, oldest first (as they are shown)."""
    rows = await Message.filter(room_id=room.id).order_by("-seq").limit(limit) \
        .prefetch_related(*MESSAGE_RELATIONS)
    return list(reversed(rows))


async def messages_before(room: Room, seq: int, limit: int) -> list[Message]:
    """The `limit` messages just before `seq`, oldest first."""
    rows = await Message.filter(room_id=room.id, seq__lt=seq).order_by("-seq").limit(limit) \
        .prefetch_related(*MESSAGE_RELATIONS)
    return list(reversed(rows))


async def messages_after(room: Room, seq: int, limit: int = PAGE_MAX) -> list[Message]:
    """Up to `limit` messages after `seq`, oldest first: the catch-up contract."""
    return await Message.filter(room_id=room.id, seq__gt=seq).order_by("seq").limit(limit) \
        .prefetch_related(*MESSAGE_RELATIONS)

"""A room's whole history, read in pages so a big room never sits in memory at once."""

from __future__ import annotations

from collections.abc import AsyncIterator

from app.models import Message, Room

EXPORT_PAGE = 500


async def history_pages(room: Room, page: int = EXPORT_PAGE) -> AsyncIterator[list[Message]]:
    """Every message of the room in seq order, `page` at a time (keyset paging on seq)."""
    after = 0
    while True:
        rows = await Message.filter(room_id=room.id, seq__gt=after).order_by("seq").limit(page) \
            .prefetch_related("author", "image", "attachment", "reactions__user")
        if not rows:
            return
        yield rows
        after = rows[-1].seq

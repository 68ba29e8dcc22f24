"""A room's whole history, read in pages so a big room never sits in memory at once; each
page's thread replies nested under their roots."""

from __future__ import annotations

from collections.abc import AsyncIterator

from app.models import Message, Room

EXPORT_PAGE = 500
EXPORT_RELATIONS = ("author", "image", "attachment", "reactions__user")


async def history_pages(room: Room, page: int = EXPORT_PAGE) -> AsyncIterator[list[Message]]:
    """Every message of the room in seq order, `page` at a time (keyset paging on seq)."""
    after = 0
    while True:
        rows = await Message.filter(room_id=room.id, seq__gt=after).order_by("seq").limit(page) \
            .prefetch_related(*EXPORT_RELATIONS)
        if not rows:
            return
        yield rows
        after = rows[-1].seq


async def replies_by_root(page: list[Message]) -> dict[int, list[Message]]:
    """The thread replies of the page's roots, oldest first (one query per page)."""
    roots = [m.id for m in page if m.thread_root_id is None]
    replies: dict[int, list[Message]] = {}
    if roots:
        for reply in await Message.filter(thread_root_id__in=roots).order_by("id") \
                .prefetch_related(*EXPORT_RELATIONS):
            replies.setdefault(reply.thread_root_id or 0, []).append(reply)
    return replies

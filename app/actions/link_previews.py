"""Link previews of room messages: asking for one after a post or an edit, showing the card the
background fetch made, and the author taking it away (for good)."""

from __future__ import annotations

from tortoise.timezone import now

from app.actions.message_changes import lock_message, record_change
from app.models import LinkPreview, LinkState, Message, MessageLink, PreviewStatus
from app.previews.urls import first_link
from app.realtime.publish import in_transaction


async def request_link_preview(message: Message) -> bool:
    """Queue the fetch of the message's first link (True when a job was queued).

    Only a room message's text is read: a direct room's message is sealed by the browsers, so
    the server never learns what is linked there, and fetches nothing for it.
    """
    if message.envelope is not None or message.deleted_at is not None:
        return False
    url = first_link(message.body)
    if url is None:
        return False
    _, created = await MessageLink.get_or_create(
        message_id=message.id, defaults={"url": url, "not_before": now()})
    return created


async def relink_after_edit(message: Message) -> bool:
    """After an edit: a new first link gets a new card, a link taken out takes its card along;
    a card its author removed stays removed. True when a fetch was queued."""
    url = first_link(message.body)
    async with in_transaction() as conn:
        current = await lock_message(message, conn)
        link = await MessageLink.get_or_none(message_id=current.id, using_db=conn)
        if link is None:
            if url is None:
                return False
            await MessageLink.create(message_id=current.id, url=url, not_before=now(),
                                     using_db=conn)
            return True
        if link.state == LinkState.REMOVED or link.url == url:
            return False
        if url is None:
            await link.delete(using_db=conn)
        else:
            link.url, link.state, link.preview_id, link.not_before = \
                url, LinkState.PENDING, None, now()
            await link.save(using_db=conn)
        await record_change(current, conn)
    return url is not None


async def show_link_card(link_id: int, url: str, preview: LinkPreview | None) -> bool:
    """Put the card fetched for `url` under its message (a failed one, or None, is recorded
    as nothing to show), unless the author removed it or edited the link away meanwhile;
    True when it appeared."""
    link = await MessageLink.get_or_none(id=link_id)
    if link is None:
        return False
    async with in_transaction() as conn:
        message = await Message.get_or_none(id=link.message_id, using_db=conn)
        if message is None:
            return False
        current = await lock_message(message, conn)
        shown = preview is not None and preview.status == PreviewStatus.OK \
            and current.deleted_at is None
        state = LinkState.SHOWN if shown else LinkState.NONE
        changed = await MessageLink.filter(id=link_id, state=LinkState.PENDING, url=url) \
            .using_db(conn).update(state=state, preview_id=preview.id if preview else None)
        if changed and state == LinkState.SHOWN:
            await record_change(current, conn)  # viewers re-render it; catch-up carries it
    return bool(changed) and state == LinkState.SHOWN


async def remove_link_preview(message: Message) -> None:
    """The author takes the card away from their message; it never comes back (a pending
    fetch is cancelled too)."""
    async with in_transaction() as conn:
        current = await lock_message(message, conn)
        removed = await MessageLink.filter(message_id=current.id) \
            .exclude(state=LinkState.REMOVED).using_db(conn).update(state=LinkState.REMOVED)
        if removed:
            await record_change(current, conn)

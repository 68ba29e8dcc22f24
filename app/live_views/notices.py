"""Notice frames: what a tab that does not show a new message needs to notify about it."""

from __future__ import annotations

from app.live_views import frames
from app.models import Message
from app.outbox.text import excerpt, without_text
from app.rendering import mentions_attribute, message_path

NOTICES_ID = "notices"  # the hidden list in every signed-in page that notices are added to


async def room_notice(message: Message, also_for: str = "") -> str:
    """Who wrote in which room and whom it mentions; the same frame for every member.

    `also_for`: a follower of the thread a reply is in, named as if mentioned (a reply in a
    followed thread notifies like a mention)."""
    author = message.author.username
    if message.room.is_direct:
        return await _direct_notice(message)
    text = excerpt(message.body) if message.body else without_text(message)
    mentions = " ".join(filter(None, [mentions_attribute(message.body), also_for]))
    where = f"{author} in a thread in #{message.room.name}" if message.thread_root_id \
        else f"{author} in #{message.room.name}"
    return await _notice(kind="room", room_id=message.room_id, author_id=message.author_id,
                         mentions=mentions, title=where, text=text,
                         url=message_path(message) if message.thread_root_id
                         else f"/rooms/{message.room_id}", tag=f"room-{message.room_id}")


async def _direct_notice(message: Message) -> str:
    """Only who wrote: the server cannot read a private message, and says no more."""
    sender = message.author.username
    return await _notice(kind="direct", room_id=message.room_id, author_id=message.author_id,
                         mentions="", title=sender, text=f"New private message from {sender}",
                         url=f"/rooms/{message.room_id}", tag=f"room-{message.room_id}",
                         encrypted=True)


async def _notice(**context: object) -> str:
    html = await frames.render("notifications/_notice.html", **context)
    return frames.append(NOTICES_ID, html)

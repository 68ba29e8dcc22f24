"""Reading a room's history: newest page, pages before a seq, and catch-up after a seq.

The room's timeline is its messages with a seq above 0: a reply only in its thread has a
negative one (app/models/message.py), so none of these reads shows it.
"""

from __future__ import annotations

from app.models import Message, MessageRevision, Room
from app.queries.threads import attach_thread_summaries

PAGE_MAX = 200
# What templates/messages/_message.html reads besides the message row: load these with it.
# A reply's quote (reply_to__author) is loaded with it: prefetching is one query per relation
# for the whole page, never one per message.
# A thread reply's root (thread_root) gives its link the thread's address.
MESSAGE_RELATIONS = ("author", "image", "attachment", "reactions__user", "reply_to__author",
                     "link__preview__image", "thread_root")


async def latest_messages(room: Room, limit: int) -> list[Message]:
    """The newest `limit` messages, oldest first (as they are shown)."""
    rows = await Message.filter(room_id=room.id, seq__gt=0).order_by("-seq").limit(limit) \
        .prefetch_related(*MESSAGE_RELATIONS)
    return await _with_threads(list(reversed(rows)))


async def messages_before(room: Room, seq: int, limit: int) -> list[Message]:
    """The `limit` messages just before `seq`, oldest first."""
    rows = await Message.filter(room_id=room.id, seq__lt=seq, seq__gt=0).order_by("-seq") \
        .limit(limit).prefetch_related(*MESSAGE_RELATIONS)
    return await _with_threads(list(reversed(rows)))


async def messages_after(room: Room, seq: int, limit: int = PAGE_MAX) -> list[Message]:
    """Up to `limit` messages after `seq`, oldest first: the catch-up contract."""
    return await _with_threads(await Message.filter(room_id=room.id, seq__gt=max(seq, 0))
                               .order_by("seq").limit(limit)
                               .prefetch_related(*MESSAGE_RELATIONS))


async def messages_changed_after(room: Room, change_seq: int, up_to_seq: int,
                                 limit: int = PAGE_MAX) -> list[Message]:
    """Messages up to `up_to_seq` edited, deleted or reacted to after `change_seq`, in change order.

    With messages_after this is the whole catch-up: new messages, then the current state of
    every older message that changed while the client was away.
    """
    return await _with_threads(await Message.filter(
        room_id=room.id, change_seq__gt=change_seq, seq__lte=up_to_seq, seq__gt=0)
        .order_by("change_seq").limit(limit).prefetch_related(*MESSAGE_RELATIONS))


async def find_revisions(message: Message) -> list[MessageRevision]:
    """A message's earlier texts, oldest first."""
    return await MessageRevision.filter(message_id=message.id).order_by("id")


async def message_for_display(message_id: int) -> Message:
    """One message with everything its fragment shows."""
    message = await Message.get(id=message_id).prefetch_related(*MESSAGE_RELATIONS)
    await attach_thread_summaries([message])
    return message


async def reply_target(room: Room, message_id: int | None) -> Message | None:
    """The message a composer replies to: one of `room`'s, not deleted (None otherwise)."""
    if message_id is None:
        return None
    return await Message.get_or_none(id=message_id, room_id=room.id, deleted_at=None) \
        .prefetch_related("author")


async def _with_threads(messages: list[Message]) -> list[Message]:
    """The messages, each root with its thread's summary ("3 replies · last …")."""
    await attach_thread_summaries(messages)
    return messages

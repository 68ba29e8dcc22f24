"""Which version of each message a list shows: one SQL row per message, no model objects.

A page of history needs, per message, only its place (seq, author, time: the timeline) and
what its rendered fragment depends on (the fragment cache's key, app/live_views/fragments.py).
One query returns both; the full rows and their relations (MESSAGE_RELATIONS) are loaded only
for the messages whose fragment is not cached yet.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections

from app.models import Message, Room
from app.queries.messages import MESSAGE_RELATIONS, PAGE_MAX
from app.queries.threads import attach_thread_summaries

# The shown state's parts besides the message row: its author's name, avatar and bot mark, the
# quoted message (its change number covers an edit or deletion of it) and its author's name,
# and who gave which reaction (a reactor's new name changes the reaction's title).
_COLUMNS = """
SELECT m.id, m.seq, m.room_id, m.author_id, m.created_at, m.change_seq,
       u.username, u.avatar_thumb_key, u.is_bot,
       q.id AS q_id, q.change_seq AS q_change_seq, qu.username AS q_author,
       coalesce((SELECT string_agg(r.user_id || ':' || ru.username || ':' || r.emoji, ','
                                   ORDER BY r.id)
                   FROM reactions r JOIN users ru ON ru.id = r.user_id
                  WHERE r.message_id = m.id), '') AS reactions
  FROM messages m
  JOIN users u ON u.id = m.author_id
  LEFT JOIN messages q ON q.id = m.reply_to_id
  LEFT JOIN users qu ON qu.id = q.author_id
"""


@dataclass(frozen=True)
class MessageVersion:
    """A message as a list places it (seq, author, time) and what its fragment shows."""

    id: int
    seq: int
    room_id: int
    author_id: int
    created_at: datetime
    change_seq: int
    author: tuple[str, str | None, bool]  # username, avatar thumbnail key, is a bot
    quoted: tuple[int, int, str] | None  # id, change_seq, author's username
    reactions: str  # "user id:username:emoji", comma-separated, in the order given


def fragment_key(version: MessageVersion) -> Hashable:
    """THE key of a message's rendered fragment: equal keys render to the same HTML.

    Everything the message templates show that can change must be in it. The message's own
    edits, deletion and reactions move its change_seq; its author's rename, new avatar or bot
    mark, the quoted message's edit or deletion and a reactor's rename do not, so they are
    here explicitly; so is the author's id (an imported account's messages move to the person
    who claims it, under the same name). The creation time tells apart two messages given
    the same id (the tests restart the id sequences). A new feature that shows more in the
    fragment (a thread's reply summary, link previews) adds its state to MessageVersion, to _COLUMNS and to
    version_of(): a key that misses a change shows stale HTML, one that has too much only
    renders again.
    """
    return (version.id, version.created_at, version.change_seq, version.author_id,
            version.author, version.quoted, version.reactions)


def version_of(message: Message) -> MessageVersion:
    """The version of a message loaded with MESSAGE_RELATIONS (the same as its SQL row gives)."""
    author = message.author
    quoted = message.quoted()
    reactions = sorted(message.given_reactions(), key=lambda r: r.id)
    return MessageVersion(
        message.id, message.seq, message.room_id, message.author_id, message.created_at,
        message.change_seq, (author.username, author.avatar_thumb_key, author.is_bot),
        (quoted.id, quoted.change_seq, quoted.author.username) if quoted is not None else None,
        ",".join(f"{r.user_id}:{r.user.username}:{r.emoji}" for r in reactions))


def _version(row: Any) -> MessageVersion:
    quoted = (row["q_id"], row["q_change_seq"], row["q_author"]) if row["q_id"] else None
    return MessageVersion(row["id"], row["seq"], row["room_id"], row["author_id"],
                          row["created_at"], row["change_seq"],
                          (row["username"], row["avatar_thumb_key"], row["is_bot"]), quoted,
                          row["reactions"])


async def _versions(where: str, params: list[Any]) -> list[MessageVersion]:
    rows = await connections.get("default").execute_query_dict(_COLUMNS + where, params)
    return [_version(row) for row in rows]


async def latest_versions(room: Room, limit: int) -> list[MessageVersion]:
    """The newest `limit` messages, oldest first."""
    rows = await _versions("WHERE m.room_id = $1 AND m.seq > 0 ORDER BY m.seq DESC LIMIT $2",
                           [room.id, limit])
    return rows[::-1]


async def versions_before(room: Room, seq: int, limit: int) -> list[MessageVersion]:
    """The `limit` messages just before `seq`, oldest first."""
    rows = await _versions("WHERE m.room_id = $1 AND m.seq < $2 AND m.seq > 0 "
                           "ORDER BY m.seq DESC LIMIT $3",
                           [room.id, seq, limit])
    return rows[::-1]


async def versions_after(room: Room, seq: int, limit: int = PAGE_MAX) -> list[MessageVersion]:
    """Up to `limit` messages after `seq`, oldest first (the catch-up contract)."""
    return await _versions("WHERE m.room_id = $1 AND m.seq > greatest($2, 0) "
                           "ORDER BY m.seq LIMIT $3",
                           [room.id, seq, limit])


async def versions_changed_after(room: Room, change_seq: int, up_to_seq: int,
                                 limit: int = PAGE_MAX) -> list[MessageVersion]:
    """Messages up to `up_to_seq` changed after `change_seq`, in change order (the catch-up's
    second half, as messages_changed_after)."""
    return await _versions("WHERE m.room_id = $1 AND m.change_seq > $2 AND m.seq <= $3 AND m.seq > 0 "
                           "ORDER BY m.change_seq LIMIT $4",
                           [room.id, change_seq, up_to_seq, limit])


async def messages_for_display(ids: list[int]) -> dict[int, Message]:
    """Full messages with everything their fragment shows, by id (the cache's misses)."""
    if not ids:
        return {}
    rows = await Message.filter(id__in=ids).prefetch_related(*MESSAGE_RELATIONS)
    await attach_thread_summaries(rows)  # a thread's root shows its replies' summary
    return {m.id: m for m in rows}

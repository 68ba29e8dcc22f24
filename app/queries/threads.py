"""Reading threads: a root's summary, a thread's replies, and the threads a person follows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise import connections

from app.models import Membership, Message, ThreadFollow, ThreadSummary, User

REPLIERS_SHOWN = 3
NEWEST_SHOWN = 3  # replies shown under each thread on the "Threads" page

_SUMMARIES = """
SELECT thread_root_id AS root_id, author_id, count(*) AS count, max(created_at) AS last_at,
       max(id) AS latest
  FROM messages
 WHERE thread_root_id = ANY($1::bigint[]) AND deleted_at IS NULL
 GROUP BY thread_root_id, author_id
"""

# A followed thread is unread while a reply newer than the follower's read mark, by someone
# else and not deleted, is in it; only rooms the follower is still in (and not archived) count.
UNREAD_REPLIES = """
  FROM thread_follows f
  JOIN messages root ON root.id = f.root_id
  JOIN rooms r ON r.id = root.room_id AND r.archived_at IS NULL
  JOIN memberships ms ON ms.room_id = root.room_id AND ms.user_id = f.user_id
  JOIN messages m ON m.thread_root_id = f.root_id AND m.id > f.last_read_id
                 AND m.author_id <> f.user_id AND m.deleted_at IS NULL
 WHERE f.user_id = $1
"""  # the follower's id is $1 (the sidebar's statement counts its roots too)
_UNREAD_THREADS = "SELECT f.root_id, count(m.id) AS unread" + UNREAD_REPLIES + \
    " GROUP BY f.root_id"


@dataclass(frozen=True)
class FollowedThread:
    """A thread on the "Threads" page: its root, its newest replies and how many are unread."""

    root: Message
    newest: list[Message]
    unread: int


async def attach_thread_summaries(messages: Iterable[Message]) -> None:
    """Give each top-level message its thread summary (one query for the whole page, and one
    for the repliers' avatars when there are replies)."""
    roots = {m.id: m for m in messages if m.thread_root_id is None}
    if not roots:
        return
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(
        _SUMMARIES, [list(roots)])
    by_root: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_root.setdefault(row["root_id"], []).append(row)
    users = {u.id: u for u in await User.filter(id__in={r["author_id"] for r in rows})} \
        if rows else {}
    for root_id, authors in by_root.items():
        authors.sort(key=lambda r: r["latest"], reverse=True)
        roots[root_id]._thread_summary = ThreadSummary(
            count=sum(r["count"] for r in authors),
            last_reply_at=max(r["last_at"] for r in authors),
            repliers=tuple(users[r["author_id"]] for r in authors[:REPLIERS_SHOWN]))


async def thread_replies(root: Message, relations: tuple[str, ...]) -> list[Message]:
    """Every reply in the thread, oldest first (deleted ones as their tombstones)."""
    return await Message.filter(thread_root_id=root.id).order_by("id") \
        .prefetch_related(*relations)


async def is_following(user_id: int, root: Message) -> bool:
    return await ThreadFollow.exists(user_id=user_id, root_id=root.id)


async def unread_thread_count(user_id: int) -> int:
    """How many followed threads have replies this person has not read (the sidebar's count)."""
    return len(await _unread_by_root(user_id))


async def followed_threads(user: User, relations: tuple[str, ...]) -> list[FollowedThread]:
    """The threads `user` follows in rooms they are in, unread ones first, then by activity."""
    follows = await ThreadFollow.filter(
        user_id=user.id, root__room__archived_at=None,
        root__room__memberships__user_id=user.id).order_by("-id").values_list("root_id",
                                                                               flat=True)
    if not follows:
        return []
    unread = await _unread_by_root(user.id)
    roots = await Message.filter(id__in=list(follows)).prefetch_related(*relations, "room")
    await attach_thread_summaries(roots)
    threads = [FollowedThread(root, await _newest_replies(root, relations),
                              unread.get(root.id, 0)) for root in roots]

    def activity(t: FollowedThread) -> float:
        summary = t.root.thread_summary()
        at = summary.last_reply_at if summary and summary.last_reply_at else t.root.created_at
        return at.timestamp()

    return sorted(threads, key=lambda t: (t.unread == 0, -activity(t)))


async def has_read(membership: Membership, message: Message) -> bool:
    """Whether the member has read this message: by the room's read mark, or for a reply
    only in its thread, by their read mark of the thread (not following it: not read)."""
    if not message.in_thread_only:
        return membership.last_read_seq >= message.seq
    follow = await ThreadFollow.get_or_none(user_id=membership.user_id,
                                            root_id=message.thread_root_id)
    return follow is not None and follow.last_read_id >= message.id


async def _newest_replies(root: Message, relations: tuple[str, ...]) -> list[Message]:
    rows = await Message.filter(thread_root_id=root.id).order_by("-id").limit(NEWEST_SHOWN) \
        .prefetch_related(*relations)
    return list(reversed(rows))


async def _unread_by_root(user_id: int) -> dict[int, int]:
    rows = await connections.get("default").execute_query_dict(_UNREAD_THREADS, [user_id])
    return {int(row["root_id"]): int(row["unread"]) for row in rows}

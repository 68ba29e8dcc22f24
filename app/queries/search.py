"""Full-text search over the room messages a user may read (never private messages).

Search is the one query a user can make expensive, so it is fenced in: a statement timeout,
only the first CANDIDATES_MAX matches are ranked, a query must name a word to look for (a
negation alone would scan every message), and at most `slots` searches run at once per
process, below the connection pool's size, so pages never wait behind searches.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asyncpg.exceptions import QueryCanceledError
from markupsafe import Markup, escape
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.errors import InvalidInput, Unavailable
from app.formatting import plain_text
from app.models import Room, RoomKind, User

RESULTS_MAX = 50
CANDIDATES_MAX = 1000  # matches ranked per search; the rest are never scored
STATEMENT_TIMEOUT_MS = 5000
SLOT_WAIT_SECONDS = 10.0
SEARCHES_PER_MINUTE = 30  # per user and process
NEGATION_ONLY = ("Add a word to look for: a search cannot be only words to leave out "
                 "(those starting with a minus sign).")
TOO_SLOW = "That search took too long. Try more specific words, or pick a room or an author."
BUSY = "Search is busy right now. Try again in a moment."
# websearch syntax ("a phrase", -word, or), with every word also matching as a prefix
# ('welcom' finds 'welcome'): each quoted lexeme of the parsed query gets ":*".
_LEXEME = "'(?:''|[^'])*'"
_TSQUERY = "to_tsquery('simple', regexp_replace(websearch_to_tsquery('simple', $1)::text, $4, " \
    "'\\&:*', 'g'))"
EXCERPT_CHARS = 240

# Two index-backed candidate sets, each stopping at the first matches its GIN index yields (no
# ORDER BY): messages whose text matches, and messages whose attached file's name matches. Only
# those are ranked and limited. The excerpt is made in Python from what people saw (see
# excerpt()), so the query returns the stored text and the file's name.
_CANDIDATES = """
    (SELECT m.id, m.seq, m.room_id, m.author_id, m.created_at, m.body, m.attachment_id,
            m.client_msg_id, m.thread_root_id, q
     FROM messages m, {tsquery} q
     WHERE to_tsvector('simple', m.body) @@ q AND m.deleted_at IS NULL {readable} {filters}
     LIMIT {candidates})
    UNION
    (SELECT m.id, m.seq, m.room_id, m.author_id, m.created_at, m.body, m.attachment_id,
            m.client_msg_id, m.thread_root_id, q
     FROM attachments a JOIN messages m ON m.attachment_id = a.id, {tsquery} q
     WHERE to_tsvector('simple', a.name) @@ q AND m.deleted_at IS NULL {readable} {filters}
     LIMIT {candidates})
"""
_READABLE = """AND m.room_id IN (
              SELECT id FROM rooms WHERE archived_at IS NULL AND kind <> 'direct' AND (
                  kind = $3 OR id IN (SELECT room_id FROM memberships WHERE user_id = $2)))"""
_SQL = """
SELECT hit.id, hit.seq, hit.room_id, hit.created_at, hit.rank, r.name AS room_name, hit.client_msg_id,
       u.username AS author, hit.body, a.name AS file_name,
       (SELECT seq FROM messages WHERE id = hit.thread_root_id) AS thread_seq
FROM (
    SELECT c.*, ts_rank(to_tsvector('simple', c.body || ' ' || coalesce(
        (SELECT name FROM attachments WHERE id = c.attachment_id), '')), c.q) AS rank
    FROM ({candidates}) c
    ORDER BY rank DESC, c.id DESC
    LIMIT {limit}
) hit
JOIN rooms r ON r.id = hit.room_id
JOIN users u ON u.id = hit.author_id
LEFT JOIN attachments a ON a.id = hit.attachment_id
ORDER BY hit.rank DESC, hit.id DESC
"""
# What the index can use of the query: '' for nothing to search, 'T' for negation only.
_TREE_SQL = f"SELECT querytree({_TSQUERY.replace('$4', '$2')}) AS tree"


@dataclass(frozen=True)
class SearchHit:
    """One message found, with an excerpt of what people saw whose matches are in <mark>, and
    the name of its attached file (also searched), if it has one."""

    message_id: int
    seq: int
    room_id: int
    room_name: str
    author: str
    created_at: datetime
    rank: float
    excerpt: Markup
    file_name: Markup | None = None
    client_msg_id: str = ""  # the message's element id on the room page (its link's anchor)
    thread_seq: int | None = None  # a thread reply's root: the hit opens its thread

    @property
    def path(self) -> str:
        """Where the hit opens: its thread for a thread reply, else the room around it."""
        anchor = f"#message-{self.client_msg_id}"
        if self.thread_seq is not None:
            return f"/rooms/{self.room_id}/threads/{self.thread_seq}{anchor}"
        return f"/rooms/{self.room_id}?around={self.seq}{anchor}"


async def search_messages(user: User, query: str, slots: asyncio.Semaphore,
                          room_id: int | None = None, author: str | None = None,
                          limit: int = RESULTS_MAX) -> list[SearchHit]:
    """Messages matching `query` (web-search syntax, words match as prefixes) in rooms `user`
    may read, best first. InvalidInput for a negation-only query; Unavailable when the search
    runs too long or every search slot stays busy."""
    query = query.strip()
    if not query:
        return []
    try:
        await asyncio.wait_for(slots.acquire(), SLOT_WAIT_SECONDS)
    except TimeoutError:
        raise Unavailable(BUSY) from None
    try:
        return await _search(user, query, room_id, author, limit)
    finally:
        slots.release()


async def _search(user: User, query: str, room_id: int | None, author: str | None,
                  limit: int) -> list[SearchHit]:
    params: list[object] = [query, user.id, RoomKind.PUBLIC.value, _LEXEME]
    filters = []
    if room_id is not None:
        params.append(room_id)
        filters.append(f"AND m.room_id = ${len(params)}")
    if author:
        params.append(author.strip().lower())
        filters.append(f"AND m.author_id = (SELECT id FROM users WHERE username_key = ${len(params)})")
    candidates = _CANDIDATES.format(tsquery=_TSQUERY, readable=_READABLE,
                                    filters=" ".join(filters), candidates=int(CANDIDATES_MAX))
    sql = _SQL.format(candidates=candidates, limit=int(limit))
    async with in_transaction() as conn:
        # SET LOCAL: the timeout ends with this transaction, not on the pooled connection.
        await conn.execute_script(f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT_MS)}")
        try:
            tree = (await conn.execute_query_dict(_TREE_SQL, [query, _LEXEME]))[0]["tree"]
            if tree == "T":
                raise InvalidInput({"q": NEGATION_ONLY})
            if not tree:
                return []  # only punctuation: nothing to look for
            rows = await conn.execute_query_dict(sql, params)
        except QueryCanceledError:  # statement_timeout fired
            raise Unavailable(TOO_SLOW) from None
    prefixes = searched_prefixes(tree)
    return [_hit(row, prefixes) for row in rows]


def _hit(row: dict[str, Any], prefixes: tuple[str, ...]) -> SearchHit:
    file_name = row["file_name"]
    return SearchHit(row["id"], row["seq"], row["room_id"], row["room_name"], row["author"],
                     row["created_at"], row["rank"], excerpt(plain_text(row["body"]), prefixes),
                     highlight(file_name, prefixes) if file_name else None, row["client_msg_id"],
                     row["thread_seq"])


async def searchable_rooms(user: User) -> list[Room]:
    """Rooms the search can be narrowed to: public ones and the user's own, by name (never a
    direct room: its messages are ciphertext, searchable only in its members' browsers)."""
    return await Room.filter(Q(kind=RoomKind.PUBLIC) | Q(memberships__user_id=user.id),
                             archived_at=None).exclude(kind=RoomKind.DIRECT).distinct() \
        .order_by("name")


def searched_prefixes(tree: str) -> tuple[str, ...]:
    """The words a parsed query looks for (as prefixes), from PostgreSQL's querytree text such
    as `'deploy':* & !'lunch':*` (a word to leave out is never highlighted)."""
    return tuple(word.replace("''", "'") for negated, word in _TREE_WORD.findall(tree)
                 if not negated)


def highlight(text: str, prefixes: tuple[str, ...]) -> Markup:
    """`text` escaped, with every word that begins with a searched word wrapped in <mark>."""
    out: list[str] = []
    last = 0
    for word in _WORD.finditer(text):
        if word.group().lower().startswith(prefixes):
            out += [str(escape(text[last:word.start()])), "<mark>", str(escape(word.group())),
                    "</mark>"]
            last = word.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def excerpt(text: str, prefixes: tuple[str, ...], limit: int = EXCERPT_CHARS) -> Markup:
    """Up to `limit` characters of the text as people saw it, around its first match."""
    first = next((w.start() for w in _WORD.finditer(text) if w.group().lower().startswith(prefixes)),
                 0)
    if len(text) <= limit:
        return highlight(text, prefixes)
    start = max(0, min(first - limit // 4, len(text) - limit))
    window = text[start:start + limit]
    return Markup("…" if start else "") + highlight(window, prefixes) + \
        Markup("…" if start + limit < len(text) else "")


_TREE_WORD = re.compile(r"(!?)'((?:''|[^'])*)'")
_WORD = re.compile(r"\w+")

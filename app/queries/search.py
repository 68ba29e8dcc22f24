"""Full-text search over the room messages a user may read (never private messages).

Search is the one query a user can make expensive, so it is fenced in: a statement timeout,
only the first CANDIDATES_MAX matches are ranked, a query must name a word to look for (a
negation alone would scan every message), and at most `slots` searches run at once per
process, below the connection pool's size, so pages never wait behind searches.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from asyncpg.exceptions import QueryCanceledError
from markupsafe import Markup, escape
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.errors import InvalidInput, Unavailable
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
_TSQUERY = "to_tsquery('simple', regexp_replace(websearch_to_tsquery('simple', $1)::text, $5, " \
    "'\\&:*', 'g'))"
START, STOP = "\x02", "\x03"  # highlight sentinels: stripped from bodies, escaped around
HEADLINE = f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=24, MinWords=8"

# The innermost query takes the first matches the GIN index on to_tsvector('simple', body)
# yields (no ORDER BY, so it stops early); only those are ranked and limited; the outer one
# builds excerpts only for the rows shown (ts_headline re-parses each body).
_SQL = """
SELECT hit.id, hit.seq, hit.room_id, hit.created_at, hit.rank, r.name AS room_name,
       u.username AS author,
       ts_headline('simple', replace(replace(hit.body, chr(2), ''), chr(3), ''), hit.q, $3)
           AS excerpt
FROM (
    SELECT c.*, ts_rank(to_tsvector('simple', c.body), c.q) AS rank
    FROM (
        SELECT m.id, m.seq, m.room_id, m.author_id, m.created_at, m.body, q
        FROM messages m, {tsquery} q
        WHERE to_tsvector('simple', m.body) @@ q AND m.deleted_at IS NULL
          AND m.room_id IN (
              SELECT id FROM rooms WHERE archived_at IS NULL AND kind <> 'direct' AND (
                  kind = $4 OR id IN (SELECT room_id FROM memberships WHERE user_id = $2)))
          {filters}
        LIMIT {candidates}
    ) c
    ORDER BY rank DESC, c.id DESC
    LIMIT {limit}
) hit
JOIN rooms r ON r.id = hit.room_id
JOIN users u ON u.id = hit.author_id
ORDER BY hit.rank DESC, hit.id DESC
"""
# What the index can use of the query: '' for nothing to search, 'T' for negation only.
_TREE_SQL = f"SELECT querytree({_TSQUERY.replace('$5', '$2')}) AS tree"


@dataclass(frozen=True)
class SearchHit:
    """One message found, with an excerpt whose matches are wrapped in <mark>."""

    message_id: int
    seq: int
    room_id: int
    room_name: str
    author: str
    created_at: datetime
    rank: float
    excerpt: Markup


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
    params: list[object] = [query, user.id, HEADLINE, RoomKind.PUBLIC.value, _LEXEME]
    filters = []
    if room_id is not None:
        params.append(room_id)
        filters.append(f"AND m.room_id = ${len(params)}")
    if author:
        params.append(author.strip().lower())
        filters.append(f"AND m.author_id = (SELECT id FROM users WHERE username_key = ${len(params)})")
    sql = _SQL.format(tsquery=_TSQUERY, filters=" ".join(filters), limit=int(limit),
                      candidates=int(CANDIDATES_MAX))
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
    return [SearchHit(row["id"], row["seq"], row["room_id"], row["room_name"], row["author"],
                      row["created_at"], row["rank"], highlight(row["excerpt"])) for row in rows]


async def searchable_rooms(user: User) -> list[Room]:
    """Rooms the search can be narrowed to: public ones and the user's own, by name (never a
    direct room: its messages are ciphertext, searchable only in its members' browsers)."""
    return await Room.filter(Q(kind=RoomKind.PUBLIC) | Q(memberships__user_id=user.id),
                             archived_at=None).exclude(kind=RoomKind.DIRECT).distinct() \
        .order_by("name")


def highlight(excerpt: str) -> Markup:
    """Escape the user's text, then turn the sentinels PostgreSQL put around matches into <mark>."""
    escaped = str(escape(excerpt))
    return Markup(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))

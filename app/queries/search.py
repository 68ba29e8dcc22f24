"""Full-text search over the room messages a user may read (never private messages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from tortoise import connections
from tortoise.expressions import Q

from app.models import Room, RoomKind, User

RESULTS_MAX = 50
START, STOP = "\x02", "\x03"  # highlight sentinels: stripped from bodies, escaped around
HEADLINE = f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=24, MinWords=8"

# The inner query ranks and limits using the GIN index on to_tsvector('simple', body); the
# outer one builds excerpts only for the rows shown (ts_headline re-parses each body).
_SQL = """
SELECT hit.id, hit.seq, hit.room_id, hit.created_at, hit.rank, r.name AS room_name,
       u.username AS author,
       ts_headline('simple', replace(replace(hit.body, chr(2), ''), chr(3), ''),
                   websearch_to_tsquery('simple', $1), $3) AS excerpt
FROM (
    SELECT m.id, m.seq, m.room_id, m.author_id, m.created_at, m.body,
           ts_rank(to_tsvector('simple', m.body), q) AS rank
    FROM messages m, websearch_to_tsquery('simple', $1) q
    WHERE to_tsvector('simple', m.body) @@ q AND m.deleted_at IS NULL
      AND m.room_id IN (
          SELECT id FROM rooms WHERE archived_at IS NULL AND kind <> 'direct' AND (
              kind = $4 OR id IN (SELECT room_id FROM memberships WHERE user_id = $2)))
      {filters}
    ORDER BY rank DESC, m.id DESC
    LIMIT {limit}
) hit
JOIN rooms r ON r.id = hit.room_id
JOIN users u ON u.id = hit.author_id
ORDER BY hit.rank DESC, hit.id DESC
"""


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


async def search_messages(user: User, query: str, room_id: int | None = None,
                          author: str | None = None, limit: int = RESULTS_MAX) -> list[SearchHit]:
    """Messages matching `query` (web-search syntax) in rooms `user` may read, best first."""
    query = query.strip()
    if not query:
        return []
    params: list[object] = [query, user.id, HEADLINE, RoomKind.PUBLIC.value]
    filters = []
    if room_id is not None:
        params.append(room_id)
        filters.append(f"AND m.room_id = ${len(params)}")
    if author:
        params.append(author.strip().lower())
        filters.append(f"AND m.author_id = (SELECT id FROM users WHERE username_key = ${len(params)})")
    sql = _SQL.format(filters=" ".join(filters), limit=int(limit))
    rows = await connections.get("default").execute_query_dict(sql, params)
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

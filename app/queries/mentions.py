"""Where a user was @mentioned and has not read it yet (the sidebar's distinct badge)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import connections

from app.models import User
from app.queries.sidebar import mention_patterns

# The same rule as app/mentions.py (an @ not glued to a word, the name, then no more name
# characters except sentence-ending dots), as a PostgreSQL regular expression.
_SQL = """
SELECT m.room_id, max(m.seq) AS seq, count(*) AS count
  FROM messages m
  JOIN memberships ms ON ms.room_id = m.room_id AND ms.user_id = $1
 WHERE m.seq > ms.last_read_seq AND m.deleted_at IS NULL
   AND m.body ILIKE $2 AND m.body ~* $3
 GROUP BY m.room_id
"""


@dataclass(frozen=True)
class UnreadMentions:
    """The unread messages of one room that mention a user: how many, and the newest's seq."""

    seq: int
    count: int


async def unread_mentions(user: User) -> dict[int, UnreadMentions]:
    """Room id -> the unread messages there that mention `user`."""
    like, pattern = mention_patterns(user.username)
    rows = await connections.get("default").execute_query_dict(_SQL, [user.id, like, pattern])
    return {row["room_id"]: UnreadMentions(row["seq"], row["count"]) for row in rows}

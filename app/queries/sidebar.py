"""What every signed-in page shows around its content, read in ONE statement.

The sidebar's rooms with their unread counts and mention marks, the direct rooms with who else
is in them, the invitations waiting, the user's current key (the key banner) and the site's
name: one round trip of a single SELECT, so one snapshot (the counts of a room, its mention
mark and its place never disagree) and no cache to keep exact. The rows come back as JSON and
become small records (no ORM objects).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tortoise import connections

from app.models import Involvement
from app.queries.keys import KeyState
from app.queries.threads import UNREAD_REPLIES

INSTANCE_ID = 1  # the one settings row (app/actions/instance.py)

# $1 the user's id, $2 and $3 the @mention rule as in app/queries/mentions.py, $4 the
# instance row. Direct rooms come most recently active first; others by name (sorted here).
_SQL = """
SELECT
  (SELECT coalesce(json_agg(json_build_object(
            'id', r.id, 'name', r.name, 'kind', r.kind, 'topic', r.topic,
            'unread', greatest(0, r.last_seq - ms.last_read_seq), 'involvement', ms.involvement,
            'mentions', (
               SELECT count(*) FROM messages m
                WHERE m.room_id = r.id AND m.seq > ms.last_read_seq AND m.deleted_at IS NULL
                  AND m.body ILIKE $2 AND m.body ~* $3))), '[]')
     FROM memberships ms JOIN rooms r ON r.id = ms.room_id
    WHERE ms.user_id = $1 AND r.archived_at IS NULL AND r.kind <> 'direct') AS rooms,
  (SELECT coalesce(json_agg(json_build_object(
            'id', r.id, 'name', r.name, 'kind', r.kind, 'topic', r.topic,
            'unread', greatest(0, r.last_seq - ms.last_read_seq),
            'others', (SELECT coalesce(json_agg(u.username ORDER BY u.username_key COLLATE "C"),
                                       '[]')
                         FROM memberships o JOIN users u ON u.id = o.user_id
                        WHERE o.room_id = r.id AND o.user_id <> $1))
          ORDER BY coalesce(r.last_message_at, r.created_at) DESC), '[]')
     FROM memberships ms JOIN rooms r ON r.id = ms.room_id
    WHERE ms.user_id = $1 AND r.archived_at IS NULL AND r.kind = 'direct') AS direct,
  (SELECT coalesce(json_agg(json_build_object(
            'id', i.id, 'room', json_build_object('id', r.id, 'name', r.name, 'kind', r.kind,
                                                  'topic', r.topic),
            'inviter', u.username) ORDER BY i.created_at DESC, i.id DESC), '[]')
     FROM invitations i JOIN rooms r ON r.id = i.room_id AND r.archived_at IS NULL
     LEFT JOIN users u ON u.id = i.inviter_id
    WHERE i.invitee_id = $1) AS invitations,
  (SELECT json_build_object('id', k.id, 'public_key', k.public_key,
                            'backed_up', EXISTS (SELECT 1 FROM key_backups b
                                                  WHERE b.key_id = k.id))
     FROM public_keys k WHERE k.user_id = $1 ORDER BY k.id DESC LIMIT 1) AS key,
  (SELECT name FROM instance WHERE id = $4) AS site_name,
  (SELECT count(DISTINCT f.root_id)""" + UNREAD_REPLIES + """) AS unread_threads
"""  # followed threads with unread replies (app/queries/threads.py)


@dataclass(frozen=True)
class SidebarRoom:
    """The room a sidebar line links to (what its templates read of it)."""

    id: int
    name: str
    kind: str
    topic: str = ""


@dataclass(frozen=True)
class MyRoom:
    """A room in the sidebar, with how many messages the user has not read."""

    room: SidebarRoom
    unread: int
    mentioned: bool = False  # an unread message there mentions the user
    involvement: Involvement = Involvement.MENTIONS  # what the badge and notifications show
    mention_count: int = 0  # unread messages there that mention the user

    @property
    def listed(self) -> bool:
        """Shown in the sidebar (an invisible room is not, until it is opened again)."""
        return self.involvement.listed


@dataclass(frozen=True)
class MyDirectRoom:
    """A direct room in my sidebar: who else is in it, and how many messages I have not read."""

    room: SidebarRoom
    others: list[str]  # their usernames, alphabetical
    unread: int

    @property
    def label(self) -> str:
        """The room's name as I see it: the other members, alphabetical."""
        return ", ".join(self.others) or "Only you"


@dataclass(frozen=True)
class Inviter:
    username: str


@dataclass(frozen=True)
class ReceivedInvitation:
    """An invitation waiting for me, as the sidebar lists it."""

    id: int
    room: SidebarRoom
    inviter: Inviter | None


@dataclass(frozen=True)
class Sidebar:
    rooms: list[MyRoom] = field(default_factory=list)
    direct: list[MyDirectRoom] = field(default_factory=list)
    invitations: list[ReceivedInvitation] = field(default_factory=list)
    key: KeyState = KeyState(None, False)
    site_name: str | None = None  # None until the instance row exists (get_instance makes it)
    unread_threads: int = 0  # followed threads with replies not read yet


def mention_patterns(username: str | None) -> tuple[str, str]:
    """The ILIKE prefilter and the regular expression of an @mention of `username` (with no
    name, a pair that matches nothing)."""
    if username is None:
        return "", "a^"
    like = "%@" + username.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    pattern = r"(^|[^[:alnum:]_@.])@" + re.escape(username) + r"\.*($|[^[:alnum:]_.-])"
    return like, pattern


async def sidebar_of(user_id: int, username: str | None) -> Sidebar:
    """Everything around a signed-in page's content, in one statement."""
    like, pattern = mention_patterns(username)
    rows = await connections.get("default").execute_query_dict(
        _SQL, [user_id, like, pattern, INSTANCE_ID])
    row = rows[0]
    rooms = [MyRoom(_room(r), r["unread"], r["mentions"] > 0, Involvement(r["involvement"]),
                    r["mentions"]) for r in _json(row["rooms"])]
    rooms.sort(key=lambda r: r.room.name.lower())
    direct = [MyDirectRoom(_room(r), r["others"], r["unread"]) for r in _json(row["direct"])]
    invitations = [ReceivedInvitation(i["id"], _room(i["room"]),
                                      Inviter(i["inviter"]) if i["inviter"] else None)
                   for i in _json(row["invitations"])]
    key = _json(row["key"]) if row["key"] else None
    state = KeyState(key["id"], key["backed_up"], key["public_key"]) if key else KeyState(None,
                                                                                           False)
    return Sidebar(rooms, direct, invitations, state, row["site_name"],
                   int(row["unread_threads"] or 0))


def _room(r: dict[str, Any]) -> SidebarRoom:
    return SidebarRoom(r["id"], r["name"], r["kind"], r["topic"] or "")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value

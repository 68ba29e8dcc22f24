"""This process's live sockets, indexed by the rooms and users they hear about, and capped per
person and per log-in session (each socket holds a file descriptor)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.realtime.close_codes import CLOSE_TOO_MANY_SOCKETS, CLOSE_TRY_AGAIN_LATER
from app.realtime.events import Audience

QUEUE_FRAMES = 256  # a client this far behind is closed (1013) and catches up on reconnect
_serials = itertools.count(1)


@dataclass(frozen=True)
class SocketLimits:
    """How many sockets one person, and one log-in session (one browser), may keep open in
    this process; a new one beyond either closes their oldest."""

    per_user: int
    per_session: int


@dataclass(eq=False, slots=True)
class Connection[S]:
    """One browser tab's socket: the room it shows, its rooms' states, and its bounded outbox.

    A room's state (`S`) is whatever the views keep per room (unread counters, say); the
    transport only uses its keys, to route the room's events here.

    Frames pushed here wait in `pending` until the process's writer (app/realtime/pump.py)
    sends them, all that queued in one event-loop turn as one WebSocket frame.
    """

    user_id: int
    username: str
    room_id: int | None
    session_id: str | None = None  # the log-in session (one browser) the socket belongs to
    rooms: dict[int, S] = field(default_factory=dict)
    session_digest: str = ""  # secret_digest() of the login session the socket was opened with
    pending: list[str] = field(default_factory=list)
    close_code: int | None = None
    # Set by the socket's pump while it runs: told when frames are waiting, or when to close.
    on_pending: Callable[[Connection[S]], None] | None = None
    on_close: Callable[[Connection[S]], None] | None = None
    serial: int = field(default_factory=lambda: next(_serials))  # larger: opened later

    def push(self, frame: str) -> None:
        """Queue a frame; a client that cannot keep up is closed instead of growing memory."""
        if self.close_code is not None:
            return
        if len(self.pending) >= QUEUE_FRAMES:
            self.close(CLOSE_TRY_AGAIN_LATER)
            return
        self.pending.append(frame)
        if len(self.pending) == 1 and self.on_pending is not None:
            self.on_pending(self)

    def close(self, code: int) -> None:
        """Close the socket with `code` now, even if a send is stuck on a slow client."""
        if self.close_code is None:
            self.close_code = code
            self.pending.clear()
            if self.on_close is not None:
                self.on_close(self)


class Registry:
    """Local connections by room (members only), by user and by log-in session."""

    def __init__(self) -> None:
        self.by_room: dict[int, set[Connection[Any]]] = {}
        self.by_user: dict[int, set[Connection[Any]]] = {}
        self.by_session: dict[str, set[Connection[Any]]] = {}

    def add(self, conn: Connection[Any], limits: SocketLimits | None = None) -> list[Connection[Any]]:
        """Register `conn`. Within `limits`, the same person's (or session's) oldest sockets
        beyond them are closed (CLOSE_TOO_MANY_SOCKETS) and removed at once; returned."""
        self.by_user.setdefault(conn.user_id, set()).add(conn)
        if conn.session_id is not None:
            self.by_session.setdefault(conn.session_id, set()).add(conn)
        for room_id in conn.rooms:
            self.by_room.setdefault(room_id, set()).add(conn)
        if limits is None:
            return []
        evicted = _oldest_beyond(self.by_session.get(conn.session_id or "", set()),
                                 limits.per_session)
        for old in evicted:
            self.remove(old)
        more = _oldest_beyond(self.by_user.get(conn.user_id, set()), limits.per_user)
        for old in more:
            self.remove(old)
        for old in (evicted := evicted + more):
            old.close(CLOSE_TOO_MANY_SOCKETS)
        return evicted

    def remove(self, conn: Connection[Any]) -> None:
        _discard(self.by_user, conn.user_id, conn)
        if conn.session_id is not None:
            _discard(self.by_session, conn.session_id, conn)
        for room_id in conn.rooms:
            _discard(self.by_room, room_id, conn)

    def leave_room(self, conn: Connection[Any], room_id: int) -> None:
        """Stop `conn` hearing about a room at once (membership revoked)."""
        conn.rooms.pop(room_id, None)
        _discard(self.by_room, room_id, conn)
        if conn.room_id == room_id:
            conn.room_id = None

    def join_room[S](self, conn: Connection[S], room_id: int, state: S) -> None:
        conn.rooms[room_id] = state
        self.by_room.setdefault(room_id, set()).add(conn)

    def audience(self, audience: Audience) -> list[Connection[Any]]:
        """This process's sockets that hear an event addressed to `audience`."""
        if audience.room_id is not None:
            return list(self.by_room.get(audience.room_id, ()))
        return [conn for user_id in audience.user_ids for conn in self.by_user.get(user_id, ())]

    def viewers(self, room_id: int) -> list[Connection[Any]]:
        """Sockets of members whose tab shows this room (the others only get its badge)."""
        return [conn for conn in self.by_room.get(room_id, ()) if conn.room_id == room_id]

    def all(self) -> list[Connection[Any]]:
        return [c for conns in self.by_user.values() for c in conns]


def _oldest_beyond(conns: set[Connection[Any]], limit: int) -> list[Connection[Any]]:
    """The oldest of `conns` past the newest `limit` (none when within it)."""
    if len(conns) <= limit:
        return []
    return sorted(conns, key=lambda c: c.serial)[:len(conns) - max(limit, 1)]


def _discard[K](index: dict[K, set[Connection[Any]]], key: K, conn: Connection[Any]) -> None:
    conns = index.get(key)
    if conns is not None:
        conns.discard(conn)
        if not conns:
            del index[key]

"""This process's live sockets, indexed by the rooms and users they hear about."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.realtime.close_codes import CLOSE_TRY_AGAIN_LATER
from app.realtime.events import Audience

QUEUE_FRAMES = 256  # a client this far behind is closed (1013) and catches up on reconnect


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
    rooms: dict[int, S] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    close_code: int | None = None
    # Set by the socket's pump while it runs: told when frames are waiting, or when to close.
    on_pending: Callable[[Connection[S]], None] | None = None
    on_close: Callable[[Connection[S]], None] | None = None

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
    """Local connections by room (members only) and by user."""

    def __init__(self) -> None:
        self.by_room: dict[int, set[Connection[Any]]] = {}
        self.by_user: dict[int, set[Connection[Any]]] = {}

    def add(self, conn: Connection[Any]) -> None:
        self.by_user.setdefault(conn.user_id, set()).add(conn)
        for room_id in conn.rooms:
            self.by_room.setdefault(room_id, set()).add(conn)

    def remove(self, conn: Connection[Any]) -> None:
        _discard(self.by_user, conn.user_id, conn)
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


def _discard(index: dict[int, set[Connection[Any]]], key: int, conn: Connection[Any]) -> None:
    conns = index.get(key)
    if conns is not None:
        conns.discard(conn)
        if not conns:
            del index[key]

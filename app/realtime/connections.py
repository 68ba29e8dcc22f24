"""This process's live sockets, indexed by the rooms and users they hear about."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.realtime.events import Audience

QUEUE_FRAMES = 256  # a client this far behind is closed (1013) and catches up on reconnect
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_SERVICE_RESTART = 1012
CLOSE_POLICY_VIOLATION = 1008  # refused or shut out (logged out, deactivated): do not retry


@dataclass(slots=True)
class RoomState:
    """What a connection knows of one of its rooms, to keep the unread badge right."""

    last_seq: int
    last_read: int
    mention_seq: int = 0  # the newest message that mentions this user

    @property
    def unread(self) -> int:
        return max(0, self.last_seq - self.last_read)

    @property
    def mentioned(self) -> bool:
        """An unread message mentions this user (the badge says so)."""
        return self.mention_seq > self.last_read


@dataclass(eq=False, slots=True)
class Connection:
    """One browser tab's socket: the room it shows, its rooms' states, and its bounded outbox.

    Frames pushed here wait in `pending` until the process's writer (app/realtime/pump.py)
    sends them, all that queued in one event-loop turn as one WebSocket frame.
    """

    user_id: int
    username: str
    room_id: int | None
    rooms: dict[int, RoomState] = field(default_factory=dict)
    session_digest: str = ""  # secret_digest() of the login session the socket was opened with
    pending: list[str] = field(default_factory=list)
    close_code: int | None = None
    # Set by the socket's pump while it runs: told when frames are waiting, or when to close.
    on_pending: Callable[[Connection], None] | None = None
    on_close: Callable[[Connection], None] | None = None

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
        self.by_room: dict[int, set[Connection]] = {}
        self.by_user: dict[int, set[Connection]] = {}

    def add(self, conn: Connection) -> None:
        self.by_user.setdefault(conn.user_id, set()).add(conn)
        for room_id in conn.rooms:
            self.by_room.setdefault(room_id, set()).add(conn)

    def remove(self, conn: Connection) -> None:
        _discard(self.by_user, conn.user_id, conn)
        for room_id in conn.rooms:
            _discard(self.by_room, room_id, conn)

    def leave_room(self, conn: Connection, room_id: int) -> None:
        """Stop `conn` hearing about a room at once (membership revoked)."""
        conn.rooms.pop(room_id, None)
        _discard(self.by_room, room_id, conn)
        if conn.room_id == room_id:
            conn.room_id = None

    def join_room(self, conn: Connection, room_id: int, state: RoomState) -> None:
        conn.rooms[room_id] = state
        self.by_room.setdefault(room_id, set()).add(conn)

    def audience(self, audience: Audience) -> list[Connection]:
        """This process's sockets that hear an event addressed to `audience`."""
        if audience.room_id is not None:
            return list(self.by_room.get(audience.room_id, ()))
        return [conn for user_id in audience.user_ids for conn in self.by_user.get(user_id, ())]

    def viewers(self, room_id: int) -> list[Connection]:
        """Sockets of members whose tab shows this room (the others only get its badge)."""
        return [conn for conn in self.by_room.get(room_id, ()) if conn.room_id == room_id]

    def all(self) -> list[Connection]:
        return [c for conns in self.by_user.values() for c in conns]


def _discard(index: dict[int, set[Connection]], key: int, conn: Connection) -> None:
    conns = index.get(key)
    if conns is not None:
        conns.discard(conn)
        if not conns:
            del index[key]

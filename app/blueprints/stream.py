"""The WebSocket each tab opens: who it is and what it may hear; its pings become actions."""

from __future__ import annotations

import logging
from typing import Any

from quart import Blueprint, websocket
from quart_auth import current_user

from app.actions.presence import forget_connection, record_connection
from app.actions.rooms import mark_room_read
from app.actions.typing import announce_typing
from app.auth import current_account
from app.blueprints import int_arg
from app.errors import DomainError
from app.live_views import frames
from app.live_views.presence import presence_snapshot
from app.live_views.state import RoomState, Socket
from app.queries.members import membership_in, read_positions
from app.queries.mentions import UnreadMentions, unread_mentions
from app.queries.records import User
from app.realtime.close_codes import CLOSE_INVALID, CLOSE_POLICY, CLOSE_TRY_AGAIN_LATER
from app.realtime.connections import Connection, SocketLimits
from app.realtime.pump import pump
from app.realtime.runtime import realtime
from app.security import origin_allowed, secret_digest
from config.settings import current_settings

blueprint = Blueprint("stream", __name__)
log = logging.getLogger("parley.stream")

TYPING_INTERVAL = 1.0
# Domain errors (app/errors.py) as close codes, by their HTTP-like status: the one place.
CLOSE_CODES = {400: CLOSE_INVALID, 403: CLOSE_POLICY, 404: CLOSE_POLICY, 409: CLOSE_POLICY,
               429: CLOSE_TRY_AGAIN_LATER, 503: CLOSE_TRY_AGAIN_LATER}


@blueprint.websocket("/ws")
async def stream() -> None:
    user = await current_account()
    if user is None or not origin_allowed(websocket.headers.get("Origin"), websocket.host):
        # Accept then close: a refused handshake makes htmx's ws extension retry forever.
        await websocket.accept()
        await websocket.close(CLOSE_POLICY)
        return
    await websocket.accept()
    try:
        conn = await _open_connection(user, int_arg("room", websocket.args))
    except DomainError as exc:
        await websocket.close(close_code(exc))
        return
    conn.session_digest = secret_digest(current_user.auth_id or "")
    live = realtime()
    # Presence first: once the registry holds the socket, the user counts as online here.
    presence_id = await record_connection(user.id, conn.room_id)
    settings = current_settings()
    # One person's sockets are capped (each holds a file descriptor): the oldest goes first.
    live.registry.add(conn, SocketLimits(settings.sockets_per_user, settings.sockets_per_session))
    pings = _Pings(conn, user)
    try:
        # From here on no message of its rooms passes it by; with it, the dots of whoever came
        # or went since the page was rendered.
        conn.push(frames.READY + await _presence_snapshot(conn))
        await pump(conn, websocket, pings.handle, live.writer)
    finally:
        live.registry.remove(conn)
        try:
            await forget_connection(presence_id, user.id)
            await pings.stop_typing()
        except Exception:  # the socket is gone either way; presence expires by heartbeat
            log.exception("cleaning up after a closed socket failed")


async def _presence_snapshot(conn: Connection) -> str:
    return await presence_snapshot(conn.room_id) if conn.room_id is not None else ""


def close_code(error: DomainError) -> int:
    """The WebSocket close code for a refusal (1008, policy, for any status not listed)."""
    return CLOSE_CODES.get(error.status, CLOSE_POLICY)


class _Pings:
    """What a tab may tell us: it is typing (at most once a second), or it read up to a seq."""

    def __init__(self, conn: Socket, user: User) -> None:
        self.conn, self.user = conn, user
        self.last_typing = 0.0
        self.typing = False

    async def handle(self, message: dict[str, Any], now: float) -> None:
        conn, kind = self.conn, message.get("type")
        if kind == "typing" and now - self.last_typing >= TYPING_INTERVAL \
                and conn.room_id is not None:
            self.last_typing, self.typing = now, True
            await announce_typing(conn.room_id, self.user)
        elif kind == "read" and _is_seq(message.get("seq")) and conn.room_id is not None:
            membership = await membership_in(conn.room_id, self.user.id)
            if membership is not None:
                await mark_room_read(membership,
                                     min(message["seq"], conn.rooms[conn.room_id].last_seq))

    async def stop_typing(self) -> None:
        """The tab closed: its typing notice goes now rather than when it expires."""
        if self.typing and self.conn.room_id is not None:
            await announce_typing(self.conn.room_id, self.user, stopped=True)


def _is_seq(value: Any) -> bool:
    """A sequence number as a frame carries it: a whole number, not a bool (True == 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


async def _open_connection(user: User, room_id: int | None) -> Socket:
    positions = await read_positions(user.id)
    mentions = await unread_mentions(user)
    none = UnreadMentions(0, 0)
    rooms = {room: RoomState(last_seq, last_read, mentions.get(room, none).seq,
                             mentions.get(room, none).count, involvement)
             for room, last_seq, last_read, involvement in positions}
    # Only a member hears a room: a non-member's socket (e.g. previewing) gets no room frame.
    watched = room_id if room_id in rooms else None
    return Connection(user_id=user.id, username=user.username, room_id=watched, rooms=rooms,
                      session_id=current_user.auth_id)

"""The WebSocket each tab opens: pushes frames for its room and its user; takes typing pings."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from quart import Blueprint, websocket
from quart.wrappers.base import ClientDisconnectedError

from app.actions.rooms import mark_room_read
from app.actions.typing import announce_typing
from app.auth import current_account
from app.models import Membership, User
from app.realtime import presence
from app.realtime.connections import Connection, RoomState
from app.realtime.runtime import realtime
from app.security import origin_allowed

blueprint = Blueprint("stream", __name__)

CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
FRAME_MAX = 64 * 1024
BATCH_CHARS = 32 * 1024
INBOUND_PER_SECOND = 5  # typing pings are at most 1/s; this leaves room for read marks
TYPING_INTERVAL = 1.0


@blueprint.websocket("/ws")
async def stream() -> None:
    user = await current_account()
    if user is None or not origin_allowed(websocket.headers.get("Origin"), websocket.host):
        # Accept then close: a refused handshake makes htmx retry forever (STACK_NOTES §4).
        await websocket.accept()
        await websocket.close(CLOSE_POLICY)
        return
    await websocket.accept()
    conn = await _open_connection(user, websocket.args.get("room", type=int))
    live = realtime()
    live.registry.add(conn)
    presence_id = await presence.record_connection(user.id, conn.room_id)
    typing = _TypingState()
    try:
        await _pump(conn, user, typing)
    finally:
        live.registry.remove(conn)
        with contextlib.suppress(Exception):
            await presence.forget_connection(presence_id)
            if typing.active and conn.room_id is not None:
                await announce_typing(conn.room_id, user, stopped=True)


class _TypingState:
    def __init__(self) -> None:
        self.last = 0.0
        self.active = False


async def _open_connection(user: User, room_id: int | None) -> Connection:
    rows = await Membership.filter(user_id=user.id, room__archived_at=None) \
        .values("room_id", "last_read_seq", "room__last_seq")
    rooms = {r["room_id"]: RoomState(r["room__last_seq"], r["last_read_seq"]) for r in rows}
    # Only a member hears a room: a non-member's socket (e.g. previewing) gets no room frame.
    watched = room_id if room_id in rooms else None
    return Connection(user_id=user.id, username=user.username, room_id=watched, rooms=rooms)


async def _pump(conn: Connection, user: User, typing: _TypingState) -> None:
    """Send and receive until the client leaves or the server closes this socket."""
    tasks = {asyncio.create_task(_send_frames(conn)),
             asyncio.create_task(_receive_pings(conn, user, typing)),
             asyncio.create_task(conn.closed.wait())}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    if conn.close_code is not None:
        await websocket.close(conn.close_code)
    for result in results:
        if isinstance(result, Exception) and not isinstance(result, ClientDisconnectedError):
            raise result


async def _send_frames(conn: Connection) -> None:
    """Send queued frames; under load, what queued up goes as one frame (htmx swaps each
    top-level element of a frame on its own), which saves a send per message per socket."""
    while True:
        parts = [await conn.outbox.get()]
        size = len(parts[0])
        while size < BATCH_CHARS and not conn.outbox.empty():
            parts.append(conn.outbox.get_nowait())
            size += len(parts[-1])
        await websocket.send("".join(parts))


async def _receive_pings(conn: Connection, user: User, typing: _TypingState) -> None:
    window_start, count = time.monotonic(), 0
    while True:
        data = await websocket.receive()
        now = time.monotonic()
        if now - window_start >= 1:
            window_start, count = now, 0
        count += 1
        if len(data) > FRAME_MAX:
            conn.close(CLOSE_TOO_BIG)
            return
        if count > INBOUND_PER_SECOND * 4:
            conn.close(CLOSE_POLICY)  # a flood, not a person typing
            return
        if count <= INBOUND_PER_SECOND:
            await _handle_ping(conn, user, typing, _parse(data), now)


async def _handle_ping(conn: Connection, user: User, typing: _TypingState,
                       message: dict[str, Any], now: float) -> None:
    kind = message.get("type")
    if conn.room_id is None:
        return
    if kind == "typing" and now - typing.last >= TYPING_INTERVAL:
        typing.last, typing.active = now, True
        await announce_typing(conn.room_id, user)
    elif kind == "read" and isinstance(message.get("seq"), int):
        membership = await Membership.get_or_none(room_id=conn.room_id, user_id=user.id)
        if membership is not None:
            await mark_room_read(membership, min(message["seq"], conn.rooms[conn.room_id].last_seq))


def _parse(data: str | bytes) -> dict[str, Any]:
    """htmx 2 nests headers under HEADERS, htmx 4 under headers; we read only our own keys."""
    try:
        message = json.loads(data)
    except (ValueError, TypeError):
        return {}
    if not isinstance(message, dict):
        return {}
    message.pop("HEADERS", None)
    message.pop("headers", None)
    return message

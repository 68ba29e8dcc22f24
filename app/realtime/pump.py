"""One socket's life: its reader runs in the socket's own task, one writer sends for them all.

Per socket there is no task of ours besides the one the server runs the socket in: that task
reads the client's pings, and the process's `Writer` sends what views pushed. The writer runs
once per event-loop turn; every socket with waiting frames gets them as one WebSocket frame
(htmx swaps each top-level element of a frame on its own), and sockets that were pushed the
same frames in that turn share one joined string. A send the client's buffers cannot take at
once carries on in a task of its own until it completes, which keeps that socket's frames in
order without holding up the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import Any, Protocol

from quart.wrappers.base import ClientDisconnectedError

from app.json_input import UnreadableJson, read_json
from app.realtime.close_codes import CLOSE_INTERNAL_ERROR, CLOSE_POLICY, CLOSE_TOO_BIG
from app.realtime.connections import Connection

FRAME_MAX = 64 * 1024
BATCH_CHARS = 32 * 1024
INBOUND_PER_SECOND = 5  # typing pings are at most 1/s; this leaves room for read marks

log = logging.getLogger("parley.realtime")
OnMessage = Callable[[dict[str, Any], float], Awaitable[None]]
Send = Callable[[str], Coroutine[Any, Any, None]]


class Socket(Protocol):
    """The part of a WebSocket the pump uses (Quart's `websocket`)."""

    async def send(self, data: str) -> None: ...
    async def receive(self) -> str | bytes: ...
    async def close(self, code: int) -> None: ...


class Writer:
    """Sends every live socket's waiting frames, once per event-loop turn."""

    def __init__(self) -> None:
        self._sends: dict[Connection, Send] = {}
        self._in_flight: dict[Connection, asyncio.Task[None]] = {}
        self._due: dict[Connection, None] = {}  # an ordered set
        self._scheduled = False

    def attach(self, conn: Connection, send: Send) -> None:
        self._sends[conn] = send
        conn.on_pending = self._wake
        if conn.pending:
            self._wake(conn)

    def detach(self, conn: Connection) -> None:
        conn.on_pending = None
        self._sends.pop(conn, None)
        self._due.pop(conn, None)
        task = self._in_flight.pop(conn, None)
        if task is not None:
            task.cancel()  # stuck on a client that stopped reading

    def _wake(self, conn: Connection) -> None:
        self._due[conn] = None
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        due, self._due = self._due, {}
        # The same frames in the same order: one string (the parts are kept with it, so that no
        # id in a key can be reused by another frame during this flush).
        joined: dict[tuple[int, ...], tuple[list[str], str]] = {}
        for conn in due:
            self._send_pending(conn, joined)

    def _send_pending(self, conn: Connection,
                      joined: dict[tuple[int, ...], tuple[list[str], str]]) -> None:
        send = self._sends.get(conn)
        while send is not None and conn.pending and conn.close_code is None \
                and conn not in self._in_flight:
            parts = _take_batch(conn.pending)
            key = tuple(map(id, parts))
            if key in joined:
                data = joined[key][1]
            else:
                data = parts[0] if len(parts) == 1 else "".join(parts)
                joined[key] = (parts, data)
            # Eager: a send the transport takes at once completes here, with no task scheduled.
            task = asyncio.eager_task_factory(asyncio.get_running_loop(), send(data))
            if not task.done():
                self._in_flight[conn] = task
                task.add_done_callback(partial(self._sent, conn))
            else:
                self._check(conn, task)

    def _sent(self, conn: Connection, task: asyncio.Task[None]) -> None:
        if self._in_flight.get(conn) is task:
            del self._in_flight[conn]
        self._check(conn, task)
        if conn.pending and conn in self._sends:
            self._wake(conn)

    def _check(self, conn: Connection, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and not isinstance(error, ClientDisconnectedError):
            log.error("sending to a socket failed", exc_info=error)
            conn.close(CLOSE_INTERNAL_ERROR)


def _take_batch(pending: list[str]) -> list[str]:
    """The first frames of `pending`, up to BATCH_CHARS (at least one), removed from it."""
    size, count = 0, 0
    for frame in pending:
        if count and size + len(frame) > BATCH_CHARS:
            break
        size, count = size + len(frame), count + 1
    parts = pending[:count]
    del pending[:count]
    return parts


async def pump(conn: Connection, ws: Socket, on_message: OnMessage, writer: Writer) -> None:
    """Read until the client leaves or the server closes this socket; `writer` sends to it.

    `on_message(message, now)` gets each parsed client message within the rate limit; a flood
    or an oversized frame closes the socket.
    """
    reader = asyncio.current_task()
    assert reader is not None
    waiting = [False]  # the reader is in receive(), where a close may interrupt it

    def close_now(_: Connection) -> None:
        writer.detach(conn)
        if waiting[0]:
            reader.cancel()

    conn.on_close = close_now
    writer.attach(conn, _direct_send(ws))
    try:
        await _read(conn, ws, on_message, reader, waiting)
    except ClientDisconnectedError:
        pass
    finally:
        conn.on_close = None
        writer.detach(conn)
    if conn.close_code is not None:
        await ws.close(conn.close_code)


async def _read(conn: Connection, ws: Socket, on_message: OnMessage, reader: asyncio.Task[Any],
                waiting: list[bool]) -> None:
    window_start, count = time.monotonic(), 0
    while conn.close_code is None:
        waiting[0] = True
        try:
            data = await ws.receive()
        except asyncio.CancelledError:
            # Our own wake-up (close_now) is absorbed; any other cancellation goes on.
            if conn.close_code is not None and reader.uncancel() == 0:
                return
            raise
        finally:
            waiting[0] = False
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
            await on_message(parse(data), now)


def _direct_send(ws: Any) -> Send:
    """The socket's send without Quart's `sleep(0)` in front (there for user loops that send
    in a tight loop; the writer sends once per turn), so a send can complete at once."""
    target = getattr(ws, "_get_current_object", lambda: ws)()  # the socket, not its proxy
    return getattr(target, "_send", target.send)


def parse(data: str | bytes) -> dict[str, Any]:
    """htmx 2 nests headers under HEADERS, htmx 4 under headers; we read only our own keys.

    A frame that is not a JSON object we can read (too deep, unstorable text, an infinite
    number, not JSON at all) is ignored, as an empty message: the socket stays open.
    """
    try:
        message = read_json(data)
    except UnreadableJson as exc:
        log.info("ignored an unreadable WebSocket frame: %s", exc)
        return {}
    if not isinstance(message, dict):
        return {}
    message.pop("HEADERS", None)
    message.pop("headers", None)
    return message

"""One socket's life: send what the dispatcher queued, read the client's pings, close on cue."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from quart.wrappers.base import ClientDisconnectedError

from app.realtime.connections import Connection

CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
FRAME_MAX = 64 * 1024
BATCH_CHARS = 32 * 1024
INBOUND_PER_SECOND = 5  # typing pings are at most 1/s; this leaves room for read marks

OnMessage = Callable[[dict[str, Any], float], Awaitable[None]]


class Socket(Protocol):
    """The part of a WebSocket the pump uses (Quart's `websocket`)."""

    async def send(self, data: str) -> None: ...
    async def receive(self) -> str | bytes: ...
    async def close(self, code: int) -> None: ...


async def pump(conn: Connection, ws: Socket, on_message: OnMessage) -> None:
    """Send and receive until the client leaves or the server closes this socket.

    `on_message(message, now)` gets each parsed client message within the rate limit; a flood
    or an oversized frame closes the socket.
    """
    tasks = {asyncio.create_task(_send_frames(conn, ws)),
             asyncio.create_task(_receive(conn, ws, on_message)),
             asyncio.create_task(conn.closed.wait())}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    if conn.close_code is not None:
        await ws.close(conn.close_code)
    for result in results:
        if isinstance(result, Exception) and not isinstance(result, ClientDisconnectedError):
            raise result


async def _send_frames(conn: Connection, ws: Socket) -> None:
    """Send queued frames; under load, what queued up goes as one frame (htmx swaps each
    top-level element of a frame on its own), which saves a send per message per socket."""
    while True:
        parts = [await conn.outbox.get()]
        size = len(parts[0])
        while size < BATCH_CHARS and not conn.outbox.empty():
            parts.append(conn.outbox.get_nowait())
            size += len(parts[-1])
        await ws.send("".join(parts))


async def _receive(conn: Connection, ws: Socket, on_message: OnMessage) -> None:
    window_start, count = time.monotonic(), 0
    while True:
        data = await ws.receive()
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


def parse(data: str | bytes) -> dict[str, Any]:
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

"""Helpers for WebSocket tests through the Quart test client: record close codes, read frames."""

from __future__ import annotations

import asyncio
from typing import Any

from quart.testing import QuartClient
from quart.testing.connections import TestWebsocketConnection

from tests.helpers import WAIT, Person, select, soup

READY_ID = "live-ready"


class SocketClosed(Exception):
    """The server closed the socket with `code`."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class RecordingWebsocket(TestWebsocketConnection):
    """Quart's test socket, but a server close surfaces as SocketClosed(code) on receive().

    `stall()` makes it a client that stopped reading: the server's sends block, as they do on
    a real connection whose buffers are full.
    """

    def stall(self) -> None:
        self._stalled = asyncio.Event()

    async def _asgi_send(self, message: Any) -> None:
        stalled = getattr(self, "_stalled", None)
        if stalled is not None and message["type"] == "websocket.send":
            await stalled.wait()
        if message["type"] == "websocket.close":
            await self._receive_queue.put(SocketClosed(message.get("code", 1000)))
        await super()._asgi_send(message)


class RecordingClient(QuartClient):
    """The test client, with sockets that report close codes."""

    websocket_connection_class = RecordingWebsocket


def socket(person: Person, room_id: int | None = None,
           headers: dict[str, str] | None = None) -> RecordingWebsocket:
    """Open /ws (for a room) as `person`, as the page's htmx ws extension does."""
    path = "/ws" if room_id is None else f"/ws?room={room_id}"
    return person.client.websocket(path, headers=headers)  # type: ignore[return-value]


async def next_frame(ws: RecordingWebsocket, timeout: float = WAIT) -> str:
    """The next pushed element (raises SocketClosed if the server closed the socket).

    The server may send several top-level elements in one WebSocket frame when they queued up;
    the page swaps each on its own, so tests read them one by one too. The socket's "ready"
    notice (its first frame) is skipped: `ready()` reads it.
    """
    pending: list[str] = ws.__dict__.setdefault("_pending", [])
    while not pending:
        data = await asyncio.wait_for(ws.receive(), timeout)
        text = data.decode() if isinstance(data, bytes) else data
        pending.extend(_besides_ready(ws, text))
        if not pending and READY_ID not in text:
            return text
    return pending.pop(0)


def _besides_ready(ws: RecordingWebsocket, text: str) -> list[str]:
    """The frame's elements other than the ready notice and the presence dots that come with it
    (kept in `presence_snapshot(ws)`)."""
    elements = [el for el in soup(text).find_all(recursive=False) if el.name]
    if not any(el.get("id") == READY_ID for el in elements):
        return [str(el) for el in elements]
    snapshot: list[str] = ws.__dict__.setdefault("_snapshot", [])
    snapshot.extend(str(el) for el in elements if "presence" in el.get("class", []))
    return [str(el) for el in elements
            if el.get("id") != READY_ID and "presence" not in el.get("class", [])]


def presence_snapshot(ws: RecordingWebsocket) -> list[str]:
    """The presence dots the socket's first frame carried (after `ready()`)."""
    return list(ws.__dict__.get("_snapshot", []))


async def ready(ws: RecordingWebsocket, timeout: float = WAIT) -> None:
    """Read up to the socket's "ready" notice: the server now routes its rooms' frames to it.
    Elements that came with it stay for next_frame()."""
    pending: list[str] = ws.__dict__.setdefault("_pending", [])
    async with asyncio.timeout(timeout):
        while True:
            data = await ws.receive()
            text = data.decode() if isinstance(data, bytes) else data
            pending.extend(_besides_ready(ws, text))
            if READY_ID in text:
                return


async def frame_matching(ws: RecordingWebsocket, selector: str, timeout: float = WAIT) -> str:
    """Skip frames until one contains an element matching `selector`."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await next_frame(ws, timeout)
            if select(frame, selector):
                return frame


async def registered(person: Person, sockets: int = 1, timeout: float = WAIT) -> None:
    """Wait until this process has registered `sockets` live sockets of the person."""
    registry = person.app.extensions["realtime"].registry
    async with asyncio.timeout(timeout):
        while len(registry.by_user.get(person.user_id, ())) < sockets:
            await asyncio.sleep(0.01)

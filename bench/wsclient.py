"""A lean WebSocket client for the load generator, so that the generator is not what limits a run.

One core receives every frame of every socket: at 20,000 deliveries a second the `websockets`
client's per-frame work (its parser, a queue, a task wake-up per `recv()`) took that core whole
and the generator, not the server, fell behind. This client is an asyncio protocol that parses
the server's frames (unmasked, unfragmented, uncompressed: Parley turns per-message deflate off)
as they arrive and hands each payload, as bytes, to a callback in the same call: no task, no
queue, no decoding unless asked. It answers pings and the close handshake, and masks what it
sends, as RFC 6455 requires of a client.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import Callable
from urllib.parse import urlsplit

OnFrame = Callable[[bytes, float], None]  # (payload, time.perf_counter() when it arrived)

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA
OPEN_TIMEOUT = 120  # seconds: 2,000 sockets opening against a saturated server


class Refused(Exception):
    """The server did not switch protocols."""


class LeanSocket(asyncio.Protocol):
    """One client WebSocket. Frames go to `on_frame` once `listen()` set it, else to `recv()`."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.close_code: int | None = None  # set when the server closed (or the link died)
        self._buffer = bytearray()
        self._upgraded = False
        self._handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._on_frame: OnFrame | None = None
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    @property
    def open(self) -> bool:
        return self._upgraded and self.close_code is None

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[:buffer.find(b"\r\n")])
            del buffer[:end + 4]
            if b" 101 " not in status:
                self._handshake.set_exception(Refused(status.decode(errors="replace")))
                self.transport.close()  # type: ignore[union-attr]
                return
            self._upgraded = True
            self._handshake.set_result(None)
        now = time.perf_counter()
        while len(buffer) >= 2:
            size, start = buffer[1] & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size, start = int.from_bytes(buffer[2:4]), 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size, start = int.from_bytes(buffer[2:10]), 10
            if len(buffer) < start + size:
                return
            opcode = buffer[0] & 0x0F
            payload = bytes(buffer[start:start + size])
            del buffer[:start + size]
            if opcode in (TEXT, BINARY):
                if self._on_frame is not None:
                    self._on_frame(payload, now)
                else:
                    self._queue.put_nowait(payload)
            elif opcode == PING:
                self._write(PONG, payload)
            elif opcode == CLOSE:
                self.close_code = int.from_bytes(payload[:2]) if len(payload) >= 2 else 1005
                self._write(CLOSE, payload[:2])
                self.transport.close()  # type: ignore[union-attr]
                return

    def connection_lost(self, exc: Exception | None) -> None:
        if self.close_code is None:
            self.close_code = 1006
        if not self._handshake.done():
            self._handshake.set_exception(exc or ConnectionResetError("closed in the handshake"))
        self._queue.put_nowait(None)

    # --- use ----------------------------------------------------------------------------

    def listen(self, on_frame: OnFrame) -> None:
        """From now on every frame goes to `on_frame` as it arrives (queued ones first)."""
        while not self._queue.empty():
            payload = self._queue.get_nowait()
            if payload is not None:
                on_frame(payload, time.perf_counter())
        self._on_frame = on_frame

    async def recv(self) -> bytes:
        """The next frame's payload (for scenarios that read a few frames, not a flood)."""
        payload = await self._queue.get()
        if payload is None:
            self._queue.put_nowait(None)
            raise ConnectionResetError(f"closed ({self.close_code})")
        return payload

    async def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._write(CLOSE, (1000).to_bytes(2))
            self.transport.close()

    def _write(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        size = len(payload)
        header = bytes([0x80 | opcode, 0x80 | size]) if size < 126 else \
            bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2)
        self.transport.write(header + mask + masked)


async def connect(url: str, headers: dict[str, str]) -> LeanSocket:
    """Open a WebSocket to `url` (ws://host:port/path?query) with extra request headers."""
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    _, socket = await asyncio.wait_for(
        loop.create_connection(LeanSocket, parts.hostname, parts.port or 80), OPEN_TIMEOUT)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Version: 13",
             f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
             *(f"{k}: {v}" for k, v in headers.items())]
    assert socket.transport is not None
    socket.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await asyncio.wait_for(asyncio.shield(socket._handshake), OPEN_TIMEOUT)
    return socket

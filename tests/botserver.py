"""A bot's server on 127.0.0.1 for tests: records each call Parley makes and answers with the
replies a test queued (status, content type, body), the last one again once they run out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from tests.pushservice import PushRequest


@dataclass
class BotServer:
    """Answers each POST with the next of `replies`; `received` keeps every call."""

    replies: list[tuple[int, str, bytes]] = field(
        default_factory=lambda: [(200, "application/json", b'{"text": "pong"}')])
    received: list[PushRequest] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/parley"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _method, path, _ = (await reader.readline()).decode().split(" ", 2)
            headers = {}
            while (line := (await reader.readline()).decode().strip()):
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(PushRequest(path, headers, body))
            status, content_type, answer = self.replies[0]
            if len(self.replies) > 1:
                self.replies.pop(0)
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
                         f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n".encode()
                         + answer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

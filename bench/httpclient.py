"""A lean HTTP/1.1 client for the requests the load generator sends at a rate.

httpx took three quarters of the generator's core at 200 posts/s (its pools, h11, a request
object per call), so the generator fell behind its own schedule. This one keeps idle
keep-alive connections to one server, writes each request as one prebuilt buffer, and reads
the answer by its Content-Length: enough for Parley's form posts, and nothing else.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit


class BadAnswer(Exception):
    """The server's answer was not HTTP/1.1 with a Content-Length."""


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes


class LeanHTTP:
    """Keep-alive connections to `base`, sending `headers` with every request."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base)
        self._host, self._port = parts.hostname, parts.port or 80
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in
                                {"Host": parts.netloc, **headers}.items())
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post_form(self, path: str, fields: dict[str, str],
                        headers: dict[str, str]) -> Answer:
        body = urlencode(fields).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (f"POST {path} HTTP/1.1\r\n{self._headers}{extra}"
                   "Content-Type: application/x-www-form-urlencoded\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        return await self.send(request)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        """GET `path` (a page or a fragment) on an idle keep-alive connection."""
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        return await self.send(f"GET {path} HTTP/1.1\r\n{self._headers}{extra}\r\n".encode())

    async def send(self, request: bytes) -> Answer:
        """Send one prebuilt request and read its answer, reusing an idle connection."""
        while self._idle:
            # The server may have closed an idle connection (its keep-alive timeout) just as
            # we reuse it; nothing was read then, so the request goes again on a new one
            # (Parley's posts carry a client_msg_id: a repeat is stored once).
            reader, writer = self._idle.pop()
            try:
                return await self._exchange(reader, writer, request)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                if getattr(exc, "partial", b""):
                    raise
        reader, writer = await asyncio.open_connection(self._host, self._port)
        return await self._exchange(reader, writer, request)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        request: bytes) -> Answer:
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = _content_length(head)
            answer = Answer(status, await reader.readexactly(length))
        except BaseException:
            writer.close()
            raise
        if b"\r\nconnection: close" in head.lower():
            writer.close()
        else:
            self._idle.append((reader, writer))
        return answer

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise BadAnswer(head.split(b"\r\n", 1)[0].decode(errors="replace"))

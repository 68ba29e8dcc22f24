"""A real HTTP server on 127.0.0.1 serving web pages for link previews: it counts and records
every request, and can redirect, stall, or stream a body far larger than anyone should read."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

PADDING = b"<p>" + b"filler " * 9000 + b"</p>\n"  # ~63 KB of page


@dataclass
class Page:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False  # read the request, answer nothing (a server that hangs)
    padding_bytes: int = 0  # after `body`, this much more page, streamed (no Content-Length)
    trickle: bool = False  # after `body`, one more byte every 0.1 s, for ever


@dataclass
class Received:
    """A request as the server read it."""

    path: str
    headers: dict[str, str]


def og_page(title: str = "Launch notes", description: str = "What shipped this week.",
            site: str = "Example News", image: str | None = "/cover.png") -> bytes:
    """An HTML page with OpenGraph tags."""
    tags = [f'<meta property="og:title" content="{title}">',
            f'<meta property="og:description" content="{description}">',
            f'<meta property="og:site_name" content="{site}">']
    if image:
        tags.append(f'<meta property="og:image" content="{image}">')
    return ("<!doctype html><html><head><title>Plain title</title>" + "".join(tags)
            + "</head><body><h1>Hello</h1></body></html>").encode()


class PageServer:
    """Pages by path; anything else is a 404."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.received: list[Received] = []
        self.cut_short: list[str] = []  # paths whose body the client stopped reading
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def requests_for(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line, *lines = head.decode("latin-1").split("\r\n")
            path = line.split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (h.partition(":") for h in lines if h)}
            self.received.append(Received(path, headers))
            await self._answer(path, self.pages.get(path, Page(b"not found", 404)), writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(self, path: str, page: Page, writer: asyncio.StreamWriter) -> None:
        if page.stall:
            await asyncio.Event().wait()  # until the server stops
        head = [f"HTTP/1.1 {page.status} X", f"Content-Type: {page.content_type}",
                "Connection: close", *(f"{k}: {v}" for k, v in page.headers.items())]
        if not page.padding_bytes and not page.trickle:
            head.append(f"Content-Length: {len(page.body)}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + page.body)
        try:
            sent = 0
            while page.trickle:  # each read gets a byte in time; the page never ends
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.1)
            while sent < page.padding_bytes:
                writer.write(PADDING)
                sent += len(PADDING)
                await writer.drain()
            await writer.drain()
        except ConnectionError:
            self.cut_short.append(path)

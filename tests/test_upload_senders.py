"""An upload's sender is checked before its body is read (a real server, a raw loopback socket):
an anonymous or token-less upload is refused while its body is still arriving, so nobody
unknown holds a connection for the long upload timeout; a known sender gets that time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest_asyncio

from tests.helpers import WAIT
from tests.images import still
from tests.remote import RemoteUser
from tests.server import running_server

BOUNDARY = "parleyboundary"


def multipart(fields: dict[str, str], image: bytes) -> bytes:
    """A composer post with a file, as a browser encodes it."""
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields.items()]
    parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; '
                 'filename="photo.png"\r\nContent-Type: image/png\r\n\r\n'.encode() + image
                 + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class SlowUpload:
    """A raw HTTP/1.1 upload on a loopback socket, whose body is sent when the test says."""

    def __init__(self, base: str, path: str, body: bytes, cookie: str = "",
                 headers: dict[str, str] | None = None) -> None:
        self.base, self.path, self.body, self.cookie = base, path, body, cookie
        self.headers = headers or {}

    async def __aenter__(self) -> SlowUpload:
        address = urlsplit(self.base)
        self.reader, self.writer = await asyncio.open_connection(address.hostname, address.port)
        lines = [f"POST {self.path} HTTP/1.1", f"Host: {address.netloc}",
                 f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
                 f"Content-Length: {len(self.body)}",
                 *([f"Cookie: {self.cookie}"] if self.cookie else []),
                 *(f"{name}: {value}" for name, value in self.headers.items())]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self.writer.drain()
        return self

    async def __aexit__(self, *_: object) -> None:
        self.writer.close()

    async def send(self, start: int, end: int | None = None) -> None:
        self.writer.write(self.body[start:end])
        await self.writer.drain()

    async def answer(self) -> tuple[int, dict[str, str]]:
        """The response's status and headers (read as soon as the server sends them)."""
        async with asyncio.timeout(WAIT):
            head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in header_lines if ": " in line)
        return int(status_line.split()[1]), {k.lower(): v for k, v in headers.items()}


@pytest_asyncio.fixture
async def server_with_a_room(empty_database: str,
                             tmp_path: Path) -> AsyncIterator[tuple[str, RemoteUser, int]]:
    env = {"DATABASE_URL": empty_database, "VAR_DIR": str(tmp_path)}
    with running_server(env) as (base, _proc):
        user = RemoteUser(base, "uploader")
        try:
            await user.sign_up()
            yield base, user, await user.create_room("slow uploads")
        finally:
            await user.close()


def cookie_of(user: RemoteUser) -> str:
    return "; ".join(f"{name}={value}" for name, value in user.http.cookies.items())


async def test_uploads_are_refused_before_their_body_unless_the_sender_is_known(
        server_with_a_room: tuple[str, RemoteUser, int]) -> None:
    base, user, room = server_with_a_room
    token = await user.csrf()
    body = multipart({"csrf_token": token, "body": "slow"}, still("PNG", (40, 30)))
    path = f"/rooms/{room}/messages"

    # Anonymous: sent to log in while only the first byte of the body has arrived.
    async with SlowUpload(base, path, body) as anonymous:
        await anonymous.send(0, 1)
        status, headers = await anonymous.answer()
    assert status == 302 and headers["location"].startswith("/login")

    # Logged in, but the token only inside the body (or not at all): 403, body unread.
    async with SlowUpload(base, path, body, cookie_of(user)) as token_in_body_only:
        await token_in_body_only.send(0, 1)
        status, _ = await token_in_body_only.answer()
    assert status == 403
    async with SlowUpload(base, f"{path}?csrf_token=forged", body, cookie_of(user)) as forged:
        await forged.send(0, 1)
        status, _ = await forged.answer()
    assert status == 403

    # Known: the token in the action's query (no JavaScript) or the header (htmx); the body
    # then arrives in pieces and the message is posted.
    for where, query, headers in [("query", f"?csrf_token={token}", {}),
                                  ("header", "", {"X-CSRF-Token": token})]:
        async with SlowUpload(base, path + query, body, cookie_of(user), headers) as known:
            await known.send(0, 1)
            await known.send(1, len(body) // 2)
            await known.send(len(body) // 2)
            status, headers = await known.answer()
        assert status == 303, where
    assert await user.catch_up(room, 0) == ["slow", "slow"]

"""A user of a real Parley server process: HTTP with httpx, WebSockets with `websockets`."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from tests.helpers import WAIT, select, select_one
from tests.mailbox import SmtpServer, eventually


class RemoteUser:
    """One browser's cookies against a server at `base`."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.username = username
        self.http = httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=20)

    async def close(self) -> None:
        await self.http.aclose()

    async def csrf(self) -> str:
        page = (await self.http.get("/login")).text  # always a form (sign-up may be closed)
        return select_one(page, "input[name=csrf_token]")["value"]

    async def post(self, path: str, form: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(path, data={"csrf_token": await self.csrf(), **(form or {})})

    async def sign_up(self) -> None:
        response = await self.post("/register", {"username": self.username,
                                                 "email": f"{self.username}@example.com",
                                                 "password": "correct horse battery"})
        assert response.status_code == 303, response.text

    async def confirm_address(self, smtp: SmtpServer) -> None:
        """Follow the confirmation link the sign-up mailed, as its owner would (GET, then POST)."""
        address = f"{self.username}@example.com"
        await eventually(lambda: smtp.inbox.to(address))
        [mail] = smtp.inbox.to(address)
        path = urlsplit(select_one(mail.html, "a.verify")["href"]).path
        assert (await self.http.get(path)).status_code == 200
        assert (await self.post(path)).status_code == 200

    async def create_room(self, name: str) -> int:
        response = await self.post("/rooms", {"name": name})
        return int(response.headers["location"].rsplit("/", 1)[-1])

    async def join(self, room_id: int) -> None:
        assert (await self.post(f"/rooms/{room_id}/membership")).status_code == 303

    async def say(self, room_id: int, body: str) -> None:
        response = await self.post(f"/rooms/{room_id}/messages",
                                   {"body": body, "client_msg_id": uuid.uuid4().hex})
        assert response.status_code == 303, response.text

    async def catch_up(self, room_id: int, after: int) -> list[str]:
        """Bodies of the messages after `after`, through the catch-up endpoint, in order."""
        html = (await self.http.get(f"/rooms/{room_id}/messages?after={after}")).text
        return [m.select_one(".body").text for m in select(html, ".message")]

    async def socket(self, room_id: int | None = None) -> ClientConnection:
        url = self.base.replace("http", "ws", 1) + ("/ws" if room_id is None else f"/ws?room={room_id}")
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        return await websockets.connect(url, additional_headers={"Cookie": cookie,
                                                                 "Origin": self.base})


async def bodies_received(ws: ClientConnection, count: int, timeout: float = WAIT) -> list[str]:
    """Read frames until `count` message bodies arrived; return them in arrival order."""
    bodies: list[str] = []
    async with asyncio.timeout(timeout):
        while len(bodies) < count:
            frame = await ws.recv()
            bodies += [b.text for b in select(frame, ".message .body")]
    return bodies


async def wait_registered(ws: ClientConnection, user: RemoteUser, room_id: int) -> None:
    """Make sure the server routes the room to the socket: its "ready" notice (first frame)."""
    async with asyncio.timeout(WAIT):
        while not select(await ws.recv(), "#live-ready"):
            pass

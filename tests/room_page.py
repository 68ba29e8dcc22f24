"""A room page kept current over a real socket: reconnect, catch up and de-duplicate like live.js.

It is what static/js/live.js and message_list.js do in a browser, with websockets and httpx: on every
(re)connect, wait until the server has subscribed the socket, fetch `?after=<last seq shown>`
page by page, then apply live frames; a message already shown is not shown again. It also
records what came over each socket, so a test can check order and repeats on the wire.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from tests.helpers import select, soup
from tests.remote import RemoteUser

CATCH_UP_PAGE = 200  # the server's page size (app/queries/messages.py)
RETRY_STATUSES = frozenset({502, 503, 504})  # the proxy lost or could not reach its upstream


class RoomPage:
    """One tab on one room, following it through whatever process the proxy picks."""

    def __init__(self, user: RemoteUser, room_id: int) -> None:
        self.user = user
        self.room_id = room_id
        self.shown: dict[str, int] = {}  # dom id -> seq, in the order they first appeared
        self.sockets: list[list[int]] = []  # the seqs each socket delivered, in arrival order
        self.reconnects = 0
        self._ws: ClientConnection | None = None

    async def connect(self) -> None:
        """Open the socket (retrying while the proxy has no live upstream for it)."""
        self._ws = await _retrying(lambda: self.user.socket(self.room_id))
        self.sockets.append([])

    async def sync(self) -> None:
        """Wait until the socket is subscribed, then fill the gap from the table."""
        assert self._ws is not None
        early = await self._registered(self._ws)
        self._show(await history(self.user, self.room_id, after=self.last_seq()))
        self._show(early)

    async def follow(self) -> None:
        """Apply live frames until cancelled; when the socket drops, reconnect and catch up."""
        while True:
            assert self._ws is not None
            try:
                self._show(self._on_socket(_messages(await self._ws.recv())))
            except websockets.ConnectionClosed:
                self.reconnects += 1
                await self.connect()
                await self.sync()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    def in_page_order(self) -> list[str]:
        """The messages as the page lays them out: by seq (static/js/message_list.js)."""
        return sorted(self.shown, key=self.shown.__getitem__)

    def last_seq(self) -> int:
        """The newest seq up to which every message is shown (message_list.js's contiguousSeq)."""
        last = 0
        for seq in sorted(self.shown.values()):
            if last and seq > last + 1:
                break
            last = seq
        return last

    def _show(self, messages: list[tuple[str, int]]) -> None:
        for dom_id, seq in messages:
            self.shown.setdefault(dom_id, seq)

    async def _registered(self, ws: ClientConnection) -> list[tuple[str, int]]:
        """Read up to the socket's "ready" notice (the server routes the room to it from then
        on), as the page does before it catches up; keep the messages read meanwhile."""
        early: list[tuple[str, int]] = []
        async with asyncio.timeout(15):
            while True:
                frame = await ws.recv()
                early += self._on_socket(_messages(frame))
                if select(frame, "#live-ready"):
                    return early

    def _on_socket(self, messages: list[tuple[str, int]]) -> list[tuple[str, int]]:
        self.sockets[-1].extend(seq for _, seq in messages)
        return messages


async def history(user: RemoteUser, room_id: int, after: int = 0) -> list[tuple[str, int]]:
    """(dom id, seq) of every message after `after`, from the catch-up endpoint, page by page."""
    messages: list[tuple[str, int]] = []
    while True:
        url = f"/rooms/{room_id}/messages?after={messages[-1][1] if messages else after}"
        response = await _retrying(lambda: user.http.get(url))  # noqa: B023 (awaited at once)
        page = _messages(response.text)
        messages += page
        if len(page) < CATCH_UP_PAGE:
            return messages


async def post_surviving_failover(user: RemoteUser, room_id: int, body: str) -> str:
    """Post a message, retrying with the same client_msg_id while the proxy fails over.

    A post in flight when its process dies may or may not have committed; the retry carries
    the same client_msg_id, so the server answers with the first copy instead of a second one.
    """
    client_msg_id = uuid.uuid4().hex
    response = await _retrying(lambda: user.post(f"/rooms/{room_id}/messages",
                                                  {"body": body, "client_msg_id": client_msg_id}))
    assert response.status_code == 303, response.text
    return f"message-{client_msg_id}"


def _messages(html: str | bytes) -> list[tuple[str, int]]:
    return [(m["id"], int(m["data-seq"])) for m in soup(html).select(".message[data-seq]")]


async def _retrying(attempt, seconds: float = 30):  # type: ignore[no-untyped-def]
    """Run `attempt` until it neither fails to connect nor gets a proxy error, with back-off."""
    delay = 0.05
    async with asyncio.timeout(seconds):
        while True:
            try:
                result = await attempt()
            except (httpx.TransportError, OSError):
                result = None
            except websockets.InvalidStatus as refused:
                if refused.response.status_code not in RETRY_STATUSES:
                    raise
                result = None
            if result is not None and getattr(result, "status_code", None) not in RETRY_STATUSES:
                return result
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

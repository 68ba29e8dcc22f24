"""A broadcaster backend that notices a lost connection, reconnects with back-off and resyncs.

Whatever was published while the connection was down is lost to this process, so after a
reconnect `on_resync` tells every local client to catch up from the table (close with 1012).
Subclasses say how to open, ping, subscribe and close their one connection; this class owns
the lock around it, the incoming queue and the supervision loop.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from broadcaster import BroadcastBackend
from broadcaster import Event as BusMessage

log = logging.getLogger("parley.bus")


class SupervisedBackend(BroadcastBackend, ABC):
    """One connection per process, used under a lock, watched by a supervisor task.

    Abstract: a transport (postgres.py, redis.py) implements the six connection methods below;
    one that leaves any out cannot be instantiated."""

    # What a transport raises when its connection is gone (subclasses extend the tuple).
    connection_errors: tuple[type[BaseException], ...] = (OSError, TimeoutError)
    # True when writers announce events themselves, inside their transaction (NOTIFY); else
    # events are published through this backend once the transaction has committed.
    publishes_in_transaction = False

    def __init__(self, url: str, on_resync: Callable[[], Awaitable[None]],
                 ping_seconds: float = 5.0, ping_timeout: float = 15.0,
                 max_backoff: float = 5.0) -> None:
        self.url = url
        self._on_resync = on_resync
        self._ping_seconds = ping_seconds
        # Generous: a busy machine can delay an answer by seconds, and a false alarm closes
        # every socket (1012); a connection that really died is reported by the transport.
        self._ping_timeout = ping_timeout
        self._max_backoff = max_backoff
        self._lock = asyncio.Lock()
        self._incoming: asyncio.Queue[BusMessage] = asyncio.Queue()
        self._channels: set[str] = set()
        self._closing = False
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self.reconnects = 0

    # --- what a transport implements (abstract) ----------------------------------------

    @abstractmethod
    async def _open(self) -> None:
        """Connect, arrange for `self.connection_lost()` on loss, re-subscribe `self._channels`."""

    @abstractmethod
    async def _close(self, graceful: bool) -> None:
        """Close the connection if it is open (never raises for an already-dead one); not
        `graceful` when it stopped answering, so nothing waits on it."""

    @abstractmethod
    async def _ping(self) -> None:
        """Raise one of `connection_errors` if the connection no longer answers."""

    @abstractmethod
    async def _listen(self, channel: str) -> None:
        """Start receiving `channel` on the open connection."""

    @abstractmethod
    async def _unlisten(self, channel: str) -> None:
        """Stop receiving `channel`."""

    @abstractmethod
    async def _send(self, channel: str, message: str) -> None:
        """Publish `message` on `channel` (for buses that do not publish in transactions)."""

    # --- broadcaster's BroadcastBackend interface --------------------------------------

    async def connect(self) -> None:
        self._closing = False
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise(), name="bus-supervisor")

    async def disconnect(self) -> None:
        self._closing = True
        if self._supervisor:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
        async with self._lock:
            await self._close(graceful=True)

    async def subscribe(self, channel: str) -> None:
        async with self._lock:
            self._channels.add(channel)
            await self._listen(channel)

    async def unsubscribe(self, channel: str) -> None:
        async with self._lock:
            self._channels.discard(channel)
            try:
                await self._unlisten(channel)
            except self.connection_errors:
                pass  # a dead connection listens to nothing anyway

    async def publish(self, channel: str, message: str) -> None:
        async with self._lock:
            await self._send(channel, message)

    async def next_published(self) -> BusMessage:
        return await self._incoming.get()

    # --- for subclasses --------------------------------------------------------------

    def received(self, channel: str, message: str) -> None:
        """Hand a message that arrived on `channel` to broadcaster."""
        self._incoming.put_nowait(BusMessage(channel=channel, message=message))

    def connection_lost(self) -> None:
        """The transport saw its connection die: reconnect now, not at the next ping."""
        self._lost.set()

    # --- supervision -------------------------------------------------------------------

    async def _supervise(self) -> None:
        """Ping the connection; when it is gone, reconnect with back-off and resync clients."""
        while not self._closing:
            try:
                await asyncio.wait_for(self._lost.wait(), self._ping_seconds)
            except TimeoutError:
                if await self._answers():
                    continue
            await self._reconnect()

    async def _answers(self) -> bool:
        try:
            async with self._lock:
                await asyncio.wait_for(self._ping(), self._ping_timeout)
            return True
        except self.connection_errors:
            return False

    async def _reconnect(self) -> None:
        delay = 0.1
        while not self._closing:
            try:
                async with self._lock:
                    await self._close(graceful=False)
                    await self._open()
                    self._lost.clear()
            except self.connection_errors as exc:
                log.warning("bus connection lost (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
                continue
            self.reconnects += 1
            log.warning("bus reconnected (listening again); asking clients to resync")
            await self._on_resync()
            return

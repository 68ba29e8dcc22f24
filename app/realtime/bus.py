"""The bus: broadcaster's postgres backend, made safe to use and supervised (STACK_NOTES §2).

One LISTEN connection per process. Its use is serialised with a lock, its loss is noticed
(termination listener plus a periodic ping), and it is re-opened with back-off and re-LISTENed.
Whatever was NOTIFYed while it was down is lost to this process, so after a reconnect the
`on_resync` hook tells every local client to catch up from the table.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from broadcaster import Broadcast
from broadcaster._backends.postgres import PostgresBackend

from app.realtime.events import Event
from app.realtime.publish import BUS_CHANNEL

log = logging.getLogger("parley.bus")
BUS_APP_NAME = "parley-bus"  # visible in pg_stat_activity


class SupervisedPostgresBackend(PostgresBackend):
    """PostgresBackend with a lock around its one connection, and reconnect + re-LISTEN."""

    def __init__(self, url: str, on_resync: Callable[[], Awaitable[None]],
                 ping_seconds: float = 5.0, max_backoff: float = 5.0) -> None:
        super().__init__(url)
        self._on_resync = on_resync
        self._ping_seconds = ping_seconds
        self._max_backoff = max_backoff
        self._lock = asyncio.Lock()
        self._channels: set[str] = set()
        self._closing = False
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self.reconnects = 0

    async def connect(self) -> None:
        self._listen_queue: asyncio.Queue = asyncio.Queue()
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise(), name="bus-supervisor")

    async def disconnect(self) -> None:
        self._closing = True
        if self._supervisor:
            self._supervisor.cancel()
        async with self._lock:
            if not self._conn.is_closed():
                await self._conn.close(timeout=2)

    async def subscribe(self, channel: str) -> None:
        async with self._lock:
            self._channels.add(channel)
            await self._conn.add_listener(channel, self._listener)

    async def unsubscribe(self, channel: str) -> None:
        async with self._lock:
            self._channels.discard(channel)
            if not self._conn.is_closed():
                await self._conn.remove_listener(channel, self._listener)

    async def publish(self, channel: str, message: str) -> None:
        async with self._lock:
            await self._conn.execute("SELECT pg_notify($1, $2)", channel, message)

    async def _open(self) -> None:
        self._conn = await asyncpg.connect(self._url,
                                           server_settings={"application_name": BUS_APP_NAME})
        self._lost.clear()
        self._conn.add_termination_listener(lambda _conn: self._lost.set())
        for channel in self._channels:
            await self._conn.add_listener(channel, self._listener)

    async def _supervise(self) -> None:
        """Ping the connection; when it is gone, reconnect with back-off and resync clients."""
        while not self._closing:
            try:
                await asyncio.wait_for(self._lost.wait(), self._ping_seconds)
            except TimeoutError:
                if await self._ping():
                    continue
            await self._reconnect()

    async def _ping(self) -> bool:
        try:
            async with self._lock:
                await self._conn.fetchval("SELECT 1", timeout=self._ping_seconds)
            return True
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return False

    async def _reconnect(self) -> None:
        delay = 0.1
        while not self._closing:
            try:
                async with self._lock:
                    if not self._conn.is_closed():
                        self._conn.terminate()
                    await self._open()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("bus connection lost (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
                continue
            self.reconnects += 1
            log.warning("bus reconnected (LISTEN restored); asking clients to resync")
            await self._on_resync()
            return


class Bus:
    """This process's subscription to the bus: decoded events go to `deliver`, in order."""

    def __init__(self, url: str, deliver: Callable[[list[Event]], Awaitable[None]],
                 on_resync: Callable[[], Awaitable[None]]) -> None:
        self.backend = SupervisedPostgresBackend(url, on_resync)
        self._broadcast = Broadcast(backend=self.backend)
        self._deliver = deliver
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        await self._broadcast.connect()
        self._task = asyncio.create_task(self._run(), name="bus-dispatcher")
        await self._ready.wait()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._broadcast.disconnect()

    async def _run(self) -> None:
        async with self._broadcast.subscribe(BUS_CHANNEL) as subscriber:
            self._ready.set()
            queue = subscriber._queue  # drain in batches: one DB fetch for many messages
            while True:
                batch = [await subscriber.get()]
                while not queue.empty() and len(batch) < 500:
                    item = queue.get_nowait()
                    if item is not None:
                        batch.append(item)
                await self._deliver_safely(batch)

    async def _deliver_safely(self, batch: list) -> None:
        events = []
        for item in batch:
            try:
                events.append(Event.from_json(item.message))
            except (ValueError, KeyError, TypeError):
                log.exception("dropping a malformed bus event")
        try:
            await self._deliver(events)
        except Exception:  # one bad batch must not stop the dispatcher
            log.exception("fan-out failed for %d events", len(events))

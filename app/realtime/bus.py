"""The bus: broadcaster over a supervised backend chosen by URL (app/realtime/backends/).

One subscription per process, to one channel. Events that arrive while the previous batch is
being delivered are delivered together as the next batch, so a burst costs one database fetch
and one send per socket instead of one per event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from broadcaster import Broadcast

from app.realtime.backends import backend_for
from app.realtime.events import Event
from app.realtime.publish import BUS_CHANNEL

log = logging.getLogger("parley.bus")


class Bus:
    """This process's subscription to the bus: decoded events go to `deliver`, in order."""

    def __init__(self, url: str, deliver: Callable[[list[Event]], Awaitable[None]],
                 on_resync: Callable[[], Awaitable[None]], namespace: str = "") -> None:
        self.backend = backend_for(url, on_resync)
        # NOTIFY channels belong to one database; a Redis server may carry several instances'
        # events (Redis pub/sub ignores the /db number), so there the channel names the
        # instance: its bus id, kept in its database, which its replicas share and no other
        # instance has, even one whose database has the same name.
        self.channel = BUS_CHANNEL if self.backend.publishes_in_transaction or not namespace \
            else f"{BUS_CHANNEL}:{namespace}"
        self._broadcast = Broadcast(backend=self.backend)
        self._deliver = deliver
        self._on_resync = on_resync
        self._pending: list[str] = []
        self._arrived = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._ready = asyncio.Event()

    async def start(self) -> None:
        await self._broadcast.connect()
        self._tasks = [asyncio.create_task(self._receive(), name="bus-receiver"),
                       asyncio.create_task(self._dispatch(), name="bus-dispatcher")]
        await self._ready.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._broadcast.disconnect()

    async def publish(self, payload: str) -> None:
        """Send an event to every process (for backends that do not publish in transactions)."""
        await self._broadcast.publish(self.channel, payload)

    async def _receive(self) -> None:
        async with self._broadcast.subscribe(self.channel) as subscriber:
            self._ready.set()
            # broadcaster annotates Subscriber.__aiter__ as returning Optional[AsyncGenerator]
            async for message in subscriber:  # type: ignore[union-attr]
                if message is not None:
                    self._pending.append(message.message)
                    self._arrived.set()

    async def _dispatch(self) -> None:
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            batch, self._pending = self._pending, []
            await self._deliver_safely(batch)

    async def _deliver_safely(self, batch: list[str]) -> None:
        events = []
        for payload in batch:
            try:
                events.append(Event.from_json(payload))
            except (ValueError, KeyError, TypeError):
                log.exception("dropping a malformed bus event")
        try:
            await self._deliver(events)
        except Exception:
            # One bad batch must not stop the dispatcher, nor silently cost anyone a message:
            # every local socket is closed with 1012, and its client catches up from the table.
            log.exception("fan-out failed for %d events; local clients will catch up", len(events))
            await self._on_resync()

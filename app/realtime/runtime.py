"""The live layer's lifecycle in one app process: registry, dispatcher, bus, background tasks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from quart import Quart, current_app

from app.realtime import presence
from app.realtime.bus import Bus
from app.realtime.connections import CLOSE_SERVICE_RESTART, Registry
from app.realtime.dispatch import Dispatcher, Live, ViewTable
from app.realtime.publish import send_events_with
from app.realtime.pump import Writer
from app.realtime.typing import TypingState

log = logging.getLogger("parley.realtime")


@dataclass
class Realtime:
    """Everything live in this process."""

    registry: Registry
    dispatcher: Dispatcher
    bus: Bus
    writer: Writer = field(default_factory=Writer)  # sends for every local socket
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


async def start_realtime(app: Quart, bus_url: str, views: ViewTable,
                         context: Callable[[], AbstractAsyncContextManager[Any]],
                         namespace: str = "",
                         on_resync: Callable[[], None] = lambda: None) -> Realtime:
    """Connect the bus and start the heartbeat and typing-expiry loops.

    `views` says how each event type is shown, `context` what views need around them;
    `namespace` (the instance's bus id) keeps instances apart on a shared Redis;
    `on_resync` drops what this process derived from events it may have missed.
    """
    registry = Registry()
    dispatcher = Dispatcher(Live(registry, TypingState()), views, context)

    async def resync() -> None:
        on_resync()
        await dispatcher.resync()

    bus = Bus(bus_url, dispatcher.deliver, resync, namespace)
    await bus.start()
    if not bus.backend.publishes_in_transaction:
        send_events_with(bus.publish)
    live = Realtime(registry, dispatcher, bus)
    live.tasks = [asyncio.create_task(_every(presence.HEARTBEAT_SECONDS, presence.heartbeat)),
                  asyncio.create_task(_every(1.0, dispatcher.expire_typing))]
    app.extensions["realtime"] = live
    return live


async def stop_realtime(app: Quart) -> None:
    """Close local sockets (1012: clients reconnect elsewhere), stop loops, leave the bus."""
    live: Realtime | None = app.extensions.pop("realtime", None)
    if live is None:
        return
    for conn in live.registry.all():
        conn.close(CLOSE_SERVICE_RESTART)
    for task in live.tasks:
        task.cancel()
    await asyncio.gather(*live.tasks, return_exceptions=True)
    send_events_with(None)
    await live.bus.stop()


def realtime() -> Realtime:
    """This process's live layer (inside a request or websocket)."""
    return current_app.extensions["realtime"]


async def _every(seconds: float, job: Callable[[], Awaitable[None]]) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except Exception:  # the loop must live on, but nobody may miss that it failed
            log.exception("background job %s failed; retrying in %s s",
                          getattr(job, "__qualname__", job), seconds)

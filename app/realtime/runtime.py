"""The live layer's lifecycle in one app process: registry, dispatcher, bus, background tasks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from quart import Quart, current_app

from app.realtime.bus import Bus
from app.realtime.close_codes import CLOSE_SERVICE_RESTART
from app.realtime.connections import Registry
from app.realtime.dispatch import Dispatcher, ViewTable
from app.realtime.publish import send_events_with
from app.realtime.pump import Writer

log = logging.getLogger("parley.realtime")

# A background job of the live layer: every so many seconds, run this (a failure is logged
# and the job runs again next time).
Job = tuple[float, Callable[[], Awaitable[None]]]


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
                         on_resync: Callable[[], None] = lambda: None,
                         live: Callable[[Registry], Any] = lambda registry: None,
                         jobs: Callable[[Dispatcher], list[Job]] = lambda dispatcher: [],
                         ) -> Realtime:
    """Connect the bus and start the background jobs.

    `views` says how each event type is shown, `context` what views need around them, and
    `live(registry)` makes what views keep between events (handed to each, unread here);
    `namespace` (the instance's bus id) keeps instances apart on a shared Redis;
    `on_resync` drops what this process derived from events it may have missed;
    `jobs(dispatcher)` lists the loops to run while the layer is up (presence heartbeats,
    typing expiry): the app supplies them, so the transport needs nothing above it.
    """
    registry = Registry()
    dispatcher = Dispatcher(registry, live(registry), views, context)

    async def resync() -> None:
        on_resync()
        await dispatcher.resync()

    bus = Bus(bus_url, dispatcher.deliver, resync, namespace)
    await bus.start()
    if not bus.backend.publishes_in_transaction:
        send_events_with(bus.publish)
    layer = Realtime(registry, dispatcher, bus)
    layer.tasks = [asyncio.create_task(_every(seconds, job)) for seconds, job in jobs(dispatcher)]
    app.extensions["realtime"] = layer
    return layer


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

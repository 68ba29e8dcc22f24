"""The live layer's lifecycle in one app process: registry, fan-out, bus, background tasks."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from quart import Quart, current_app

from app.db import asyncpg_dsn
from app.realtime import presence
from app.realtime.bus import Bus
from app.realtime.connections import CLOSE_SERVICE_RESTART, Registry
from app.realtime.fanout import Fanout

log = logging.getLogger("parley.realtime")


@dataclass
class Realtime:
    """Everything live in this process."""

    registry: Registry
    fanout: Fanout
    bus: Bus
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


async def start_realtime(app: Quart) -> Realtime:
    """Connect the bus and start the heartbeat and typing-expiry loops."""
    registry = Registry()
    fanout = Fanout(registry, app)
    bus = Bus(asyncpg_dsn(app.config["DATABASE_URL"]), fanout.deliver, fanout.resync)
    await bus.start()
    live = Realtime(registry, fanout, bus)
    live.tasks = [asyncio.create_task(_every(presence.HEARTBEAT_SECONDS, presence.heartbeat)),
                  asyncio.create_task(_every(1.0, fanout.expire_typing))]
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
    await live.bus.stop()


def realtime() -> Realtime:
    """This process's live layer (inside a request or websocket)."""
    return current_app.extensions["realtime"]


async def _every(seconds: float, job) -> None:  # type: ignore[no-untyped-def]
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except Exception:  # the loop must live on, but nobody may miss that it failed
            log.exception("background job %s failed; retrying in %s s",
                          getattr(job, "__qualname__", job), seconds)

"""Delivering bus events to this process's sockets: route by audience, render by the view table.

The transport knows who hears an event (its audience) and nothing of what they are shown: a
table, built outside realtime/, maps each event type to a `View` that loads what the batch
needs once and pushes frames to the connections it is handed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from app.realtime.close_codes import CLOSE_SERVICE_RESTART
from app.realtime.connections import QUEUE_FRAMES, Connection, Registry
from app.realtime.events import Event

# A few frames per event reach a socket at most (the message, a badge, a notice, typing): a
# slice stays well under what a socket may have waiting.
SLICE_EVENTS = QUEUE_FRAMES // 4


@dataclass(frozen=True)
class View:
    """How one event type reaches its audience's sockets.

    `load(events)` runs once per batch for the events of this type that have listeners here
    (one query for many messages); `show(event, connections, live, loaded)` pushes frames,
    where `live` is what the views keep between events in this process (made by the app's
    `live` factory; the transport hands it over unread).
    """

    show: Callable[[Any, list[Connection[Any]], Any, Any], Awaitable[None]]
    load: Callable[[list[Any]], Awaitable[Any]] | None = None


ViewTable = Mapping[type[Event], View]


class Dispatcher:
    """Hands each event of a batch, in order, to its view with the sockets that hear it."""

    def __init__(self, registry: Registry, live: Any, views: ViewTable,
                 context: Callable[[], AbstractAsyncContextManager[Any]]) -> None:
        missing = [kind.__name__ for kind in Event.types.values() if kind not in views]
        if missing:
            raise ValueError(f"no view for {', '.join(missing)}")
        self.registry = registry
        self.live = live  # handed to every view, never read here
        self._views = views
        self._context = context  # what views need around them (the app's rendering context)

    async def deliver(self, events: list[Event]) -> None:
        """Deliver a batch, in slices the writer sends between (a backlog of events must not
        pile more frames on a socket at once than a slow client may have waiting: that is
        what closes it with 1013)."""
        for start in range(0, len(events), SLICE_EVENTS):
            if start:
                await asyncio.sleep(0)  # the writer's turn: it sends what the last slice pushed
            await self._deliver(events[start:start + SLICE_EVENTS])

    async def _deliver(self, events: list[Event]) -> None:
        """Deliver a slice; events nobody here listens to cost nothing."""
        routed = [(event, conns) for event in events
                  if (conns := self.registry.audience(event.audience))
                  or event.audience.every_process]
        if not routed:
            return
        async with self._context():
            loaded = await self._load(routed)
            for event, conns in routed:
                await self._views[type(event)].show(event, conns, self.live,
                                                    loaded.get(type(event)))

    async def resync(self) -> None:
        """The bus lost events: every local client reconnects and catches up from the table."""
        for conn in self.registry.all():
            conn.close(CLOSE_SERVICE_RESTART)

    async def _load(self, routed: list[tuple[Event, list[Connection[Any]]]]) -> dict[type, Any]:
        by_type: dict[type[Event], list[Event]] = {}
        for event, _ in routed:
            by_type.setdefault(type(event), []).append(event)
        loaded: dict[type, Any] = {}
        for kind, events in by_type.items():
            load = self._views[kind].load
            if load is not None:
                loaded[kind] = await load(events)
        return loaded

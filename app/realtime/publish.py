"""Announcing events: NOTIFY inside the writer's transaction, so nothing is heard before commit."""

from __future__ import annotations

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from app.realtime.events import Event

# One physical LISTEN channel per database; room_/user_ channels are routing keys inside it.
BUS_CHANNEL = "parley_events"


async def publish(event: Event, using_db: BaseDBAsyncClient | None = None) -> None:
    """Queue the event on the bus; inside a transaction it is delivered only if it commits."""
    conn = using_db or connections.get("default")
    await conn.execute_query_dict("SELECT pg_notify($1, $2)", [BUS_CHANNEL, event.to_json()])

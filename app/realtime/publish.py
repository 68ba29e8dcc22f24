"""Announcing events, never before the writes they describe have committed.

On the PostgreSQL bus an event is a NOTIFY inside the writer's transaction: PostgreSQL delivers
it at COMMIT (never before the row is visible, never after a rollback). Another bus (Redis)
knows nothing of the transaction, so an event published inside one waits in a list that
`in_transaction()` sends once the transaction has committed. Actions open their transactions
with this module's `in_transaction()` for that reason.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.transactions import in_transaction as orm_transaction

from app.realtime.events import Event

# One physical LISTEN channel per database; room_/user_ channels are routing keys inside it.
BUS_CHANNEL = "parley_events"

log = logging.getLogger("parley.bus")
Sender = Callable[[str], Awaitable[None]]
_after_commit: ContextVar[list[Event] | None] = ContextVar("after_commit", default=None)
_sender: Sender | None = None  # None: the PostgreSQL bus, NOTIFY in the transaction


def send_events_with(sender: Sender | None) -> None:
    """Publish through `sender` (a non-PostgreSQL bus), or with NOTIFY when None."""
    global _sender
    _sender = sender


def notifies_in_sql() -> bool:
    """True on the PostgreSQL bus, where a statement may announce itself with pg_notify."""
    return _sender is None


@asynccontextmanager
async def in_transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """Tortoise's in_transaction(); events published inside it go out after its COMMIT."""
    if _after_commit.get() is not None:  # nested: the outermost transaction sends them
        async with orm_transaction() as conn:
            yield conn
        return
    pending: list[Event] = []
    token = _after_commit.set(pending)
    try:
        async with orm_transaction() as conn:
            yield conn
    finally:
        _after_commit.reset(token)
    for event in pending:
        await _send(event)


async def publish(event: Event, using_db: BaseDBAsyncClient | None = None) -> None:
    """Queue the event on the bus; inside a transaction it is delivered only if it commits."""
    if _sender is None:
        conn = using_db or connections.get("default")
        await conn.execute_query_dict("SELECT pg_notify($1, $2)", [BUS_CHANNEL, event.to_json()])
        return
    pending = _after_commit.get()
    if pending is not None:
        pending.append(event)
    elif isinstance(using_db, TransactionalDBClient):
        raise RuntimeError("publish() inside a transaction not opened with "
                           "app.realtime.publish.in_transaction(): it would be heard too early")
    else:
        await _send(event)


async def _send(event: Event) -> None:
    assert _sender is not None
    try:
        await _sender(event.to_json())
    except Exception:  # the write stands; clients see it at their next catch-up
        log.exception("could not publish %s after commit", type(event).__name__)

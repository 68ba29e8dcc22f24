"""Counting the SQL statements a request sends: a query logger on every pooled connection.

asyncpg calls a connection's query loggers for each statement, in a copy of the context of the
task that sent it; the counter is a context variable set around the measured code, so the
app's background loops (outboxes, heartbeats), which run in contexts of their own, are not
counted. The logger is added as each connection is lent (the pools' set-up step), so none
escapes it and no connection a background loop holds is waited for.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise import connections

from app.db import posting_connection

_STATEMENTS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "counted_statements", default=None)


def _log(record: Any) -> None:
    statements = _STATEMENTS.get()
    if statements is not None:
        statements.append(record.query)


def _log_on_acquire(pool: Any) -> list[tuple[Any, Any]]:
    """Make every connection the pool lends from now on log its statements (asyncpg runs a
    holder's `setup` on each acquire); returns what to restore. Connections busy elsewhere
    (a background loop's) are not waited for: they get the logger when next lent."""
    saved = []
    for holder in pool._holders:
        previous = holder._setup

        async def setup(proxy: Any, previous: Any = previous) -> None:
            if previous is not None:
                await previous(proxy)
            proxy.add_query_logger(_log)

        saved.append((holder, previous))
        holder._setup = setup
    return saved


@asynccontextmanager
async def counted_statements() -> AsyncIterator[list[str]]:
    """The statements sent by this task (and tasks it starts) inside the block, in order."""
    pools = []
    for client in (connections.get("default"), posting_connection()):
        if client._pool is None:  # type: ignore[attr-defined]
            await client.create_connection(with_db=True)
        pools.append(client._pool)  # type: ignore[attr-defined]
    saved = [pair for pool in pools for pair in _log_on_acquire(pool)]
    statements: list[str] = []
    token = _STATEMENTS.set(statements)
    try:
        yield statements
    finally:
        await asyncio.sleep(0)  # the loggers run in the loop's next turn (call_soon)
        _STATEMENTS.reset(token)
        for holder, previous in saved:
            holder._setup = previous
            if holder._con is not None:
                holder._con.remove_query_logger(_log)

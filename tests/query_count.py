"""Counting the SQL statements a request sends: a query logger on every pooled connection.

asyncpg calls a connection's query loggers for each statement, in a copy of the context of the
task that sent it; the counter is a context variable set around the measured code, so the
app's background loops (outboxes, heartbeats), which run in contexts of their own, are not
counted. Every connection the pools may lend is opened first, so none escapes the logger.
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


async def _open_every_connection(pool: Any) -> list[Any]:
    """Open all of the pool's connections (acquired together, then released)."""
    held = [await pool.acquire() for _ in range(pool._maxsize)]
    for conn in held:
        await pool.release(conn)
    return [holder._con for holder in pool._holders if holder._con is not None]


@asynccontextmanager
async def counted_statements() -> AsyncIterator[list[str]]:
    """The statements sent by this task (and tasks it starts) inside the block, in order."""
    pools = []
    for client in (connections.get("default"), posting_connection()):
        if client._pool is None:  # type: ignore[attr-defined]
            await client.create_connection(with_db=True)
        pools.append(client._pool)  # type: ignore[attr-defined]
    conns = [conn for pool in pools for conn in await _open_every_connection(pool)]
    for conn in conns:
        conn.add_query_logger(_log)
    statements: list[str] = []
    token = _STATEMENTS.set(statements)
    try:
        yield statements
    finally:
        await asyncio.sleep(0)  # the loggers run in the loop's next turn (call_soon)
        _STATEMENTS.reset(token)
        for conn in conns:
            conn.remove_query_logger(_log)

"""Counting the database round trips a piece of code makes: every query asyncpg sends, from the
task that counts and the tasks it starts (background loops started earlier are not counted).

    with counting_round_trips() as trips:
        await person.post(...)
    assert len(trips) <= 2, trips  # each entry is the query's first line

A statement asyncpg has not prepared on that connection yet costs one more round trip (its
Parse/Describe), which this does not see: measure a warm second call.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asyncpg.connection import Connection

_counter: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "round_trips", default=None)
_patched = False


def _record(query: Any) -> None:
    trips = _counter.get()
    if trips is not None:
        text = str(query).strip()
        trips.append(text.splitlines()[0][:80] if text else "")


def _patch() -> None:
    """Wrap the asyncpg methods every query goes through (once per test process)."""
    global _patched
    if _patched:
        return
    execute, _execute, _executemany = Connection.execute, Connection._execute, \
        Connection._executemany

    async def counted_execute(self: Connection, query: str, *args: Any, **kw: Any) -> Any:
        _record(query)
        return await execute(self, query, *args, **kw)

    async def counted__execute(self: Connection, query: str, *args: Any, **kw: Any) -> Any:
        _record(query)
        return await _execute(self, query, *args, **kw)

    async def counted__executemany(self: Connection, query: str, *args: Any, **kw: Any) -> Any:
        _record(query)
        return await _executemany(self, query, *args, **kw)

    Connection.execute = counted_execute  # type: ignore[method-assign]
    Connection._execute = counted__execute  # type: ignore[method-assign]
    Connection._executemany = counted__executemany  # type: ignore[method-assign]
    _patched = True


@contextmanager
def counting_round_trips() -> Iterator[list[str]]:
    """The list of queries sent inside the block (its length is the round trips)."""
    _patch()
    trips: list[str] = []
    token = _counter.set(trips)
    try:
        yield trips
    finally:
        _counter.reset(token)

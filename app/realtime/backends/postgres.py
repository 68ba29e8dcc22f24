"""The PostgreSQL bus: one LISTEN connection per process (publishing goes through the ORM, in
the writer's transaction, so NOTIFY is heard only after COMMIT; see app/realtime/publish.py)."""

from __future__ import annotations

from typing import Any

import asyncpg

from app.db import connect_arguments
from app.realtime.backends.supervised import SupervisedBackend

BUS_APP_NAME = "parley-bus"  # visible in pg_stat_activity


class PostgresBusBackend(SupervisedBackend):
    """LISTEN/NOTIFY on one asyncpg connection, re-opened and re-LISTENed when it dies."""

    connection_errors = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
    publishes_in_transaction = True

    _conn: asyncpg.Connection | None = None

    async def _open(self) -> None:
        conn = await asyncpg.connect(**connect_arguments(self.url),
                                     server_settings={"application_name": BUS_APP_NAME})
        conn.add_termination_listener(self._terminated)
        for channel in self._channels:
            await conn.add_listener(channel, self._notified)
        self._conn = conn

    async def _close(self, graceful: bool) -> None:
        conn, self._conn = self._conn, None  # its termination is no longer news
        if conn is None or conn.is_closed():
            return
        if graceful:
            try:
                await conn.close(timeout=2)
                return
            except self.connection_errors:
                pass
        conn.terminate()

    async def _ping(self) -> None:
        await self._live().fetchval("SELECT 1")

    async def _listen(self, channel: str) -> None:
        await self._live().add_listener(channel, self._notified)

    async def _unlisten(self, channel: str) -> None:
        await self._live().remove_listener(channel, self._notified)

    async def _send(self, channel: str, message: str) -> None:
        await self._live().execute("SELECT pg_notify($1, $2)", channel, message)

    def _live(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            raise asyncpg.InterfaceError("the bus connection is closed")
        return self._conn

    def _terminated(self, conn: asyncpg.Connection) -> None:
        if conn is self._conn:  # not one we closed ourselves
            self.connection_lost()

    def _notified(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        self.received(channel, payload)

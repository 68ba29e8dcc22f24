"""The bus under faults, with real parts: a killed LISTEN backend and a restarted PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from app.realtime.backends.postgres import BUS_APP_NAME
from tests.database import (
    create_database,
    migrate_in_child,
    restart_postgres,
    throwaway_postgres,
    with_database,
)
from tests.faults.recovery import listening_socket, people_in_a_room, recover_and_check
from tests.server import running_server


async def _terminate_bus_backends(database_url: str) -> int:
    conn = await asyncpg.connect(with_database(database_url, "postgres"))
    try:
        return len(await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            BUS_APP_NAME))
    finally:
        await conn.close()


async def test_a_killed_listener_reconnects_and_clients_catch_up(database_url: str,
                                                                 tmp_path: Path) -> None:
    with running_server({"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path)}) as (base, _):
        alice, bob, room_id = await people_in_a_room(base)
        ws = await listening_socket(alice, bob, room_id)

        assert await _terminate_bus_backends(database_url) >= 1

        await recover_and_check(alice, bob, room_id, ws, "while the listener was down")


@pytest.fixture
def own_postgres() -> Iterator[Any]:
    """A PostgreSQL server this test may restart without disturbing the others."""
    with throwaway_postgres() as server:
        yield server


async def test_a_restarted_postgres_is_survived_without_losing_messages(
        own_postgres: Any, tmp_path: Path) -> None:
    database_url = await create_database(own_postgres.get_uri())
    await migrate_in_child(database_url)
    with running_server({"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path)}) as (base, _):
        alice, bob, room_id = await people_in_a_room(base)
        ws = await listening_socket(alice, bob, room_id)

        await asyncio.to_thread(restart_postgres, own_postgres)

        await recover_and_check(alice, bob, room_id, ws, "after the restart")

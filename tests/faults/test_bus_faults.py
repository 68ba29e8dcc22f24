"""The bus under faults, with real parts: a killed LISTEN backend and a restarted PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import websockets

from app.db import migrate_database
from app.realtime.backends.postgres import BUS_APP_NAME
from tests.database import create_database, restart_postgres, throwaway_postgres, with_database
from tests.remote import RemoteUser, bodies_received, wait_registered
from tests.server import running_server


async def _terminate_bus_backends(database_url: str) -> int:
    conn = await asyncpg.connect(with_database(database_url, "postgres"))
    try:
        return len(await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            BUS_APP_NAME))
    finally:
        await conn.close()


async def _people(base: str) -> tuple[RemoteUser, RemoteUser, int]:
    tag = secrets.token_hex(3)
    alice, bob = RemoteUser(base, f"alice{tag}"), RemoteUser(base, f"bob{tag}")
    await alice.sign_up()
    await bob.sign_up()
    room_id = await alice.create_room(f"faults {tag}")
    await bob.join(room_id)
    return alice, bob, room_id


async def _closed_code(ws: websockets.ClientConnection) -> int:
    """Read until the server closes the socket; return the close code."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(30):
            while True:
                await ws.recv()
    return closed.value.rcvd.code


async def _recover_and_check(alice: RemoteUser, bob: RemoteUser, room_id: int,
                             ws: websockets.ClientConnection, during: str) -> None:
    """After the fault: the client was told to reconnect, catches up once, and is live again."""
    await alice.say(room_id, during)
    assert await _closed_code(ws) == 1012

    ws = await bob.socket(room_id)
    await wait_registered(ws, bob, room_id)
    missed = await bob.catch_up(room_id, after=1)
    await alice.say(room_id, "after recovery")
    live = await bodies_received(ws, 1)
    everything = await bob.catch_up(room_id, after=0)
    await ws.close()

    assert missed == [during]
    assert live == ["after recovery"]
    assert everything == ["before", during, "after recovery"]


async def test_a_killed_listener_reconnects_and_clients_catch_up(database_url: str,
                                                                 tmp_path: Path) -> None:
    with running_server({"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path)}) as (base, _):
        alice, bob, room_id = await _people(base)
        ws = await bob.socket(room_id)
        await wait_registered(ws, bob, room_id)
        await alice.say(room_id, "before")
        assert await bodies_received(ws, 1) == ["before"]

        assert await _terminate_bus_backends(database_url) >= 1

        await _recover_and_check(alice, bob, room_id, ws, "while the listener was down")


@pytest.fixture
def own_postgres() -> Iterator[Any]:
    """A PostgreSQL server this test may restart without disturbing the others."""
    with throwaway_postgres() as server:
        yield server


async def test_a_restarted_postgres_is_survived_without_losing_messages(
        own_postgres: Any, tmp_path: Path) -> None:
    database_url = await create_database(own_postgres.get_uri())
    await migrate_database(database_url)
    with running_server({"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path)}) as (base, _):
        alice, bob, room_id = await _people(base)
        ws = await bob.socket(room_id)
        await wait_registered(ws, bob, room_id)
        await alice.say(room_id, "before")
        assert await bodies_received(ws, 1) == ["before"]

        await asyncio.to_thread(restart_postgres, own_postgres)

        await _recover_and_check(alice, bob, room_id, ws, "after the restart")

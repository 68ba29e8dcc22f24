"""The supervised PostgreSQL bus backend on its own, through broadcaster's public interface."""

from __future__ import annotations

import asyncio

import asyncpg
from broadcaster import Broadcast

from app.db import asyncpg_dsn
from app.realtime.backends import backend_for
from app.realtime.backends.postgres import BUS_APP_NAME


async def test_a_lost_connection_is_replaced_once_and_hears_again(database_url: str) -> None:
    resyncs: list[int] = []

    async def on_resync() -> None:
        resyncs.append(1)

    backend = backend_for(asyncpg_dsn(database_url), on_resync)
    broadcast = Broadcast(backend=backend)
    await broadcast.connect()
    try:
        async with broadcast.subscribe("bus_backend_test") as subscriber:
            admin = await asyncpg.connect(asyncpg_dsn(database_url))
            try:
                # This backend's connection (another test's server may still be leaving).
                killed = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = $1 AND pid = $2",
                    BUS_APP_NAME, backend._live().get_server_pid())
                async with asyncio.timeout(30):
                    while not resyncs:
                        await asyncio.sleep(0.02)

                await admin.execute("SELECT pg_notify('bus_backend_test', 'after')")
                heard = await asyncio.wait_for(subscriber.get(), 10)
            finally:
                await admin.close()
    finally:
        await broadcast.disconnect()

    assert killed == 1
    assert heard.message == "after"
    assert backend.reconnects == 1 and len(resyncs) == 1


async def test_a_connection_it_drops_itself_is_not_taken_for_a_new_loss(database_url: str) -> None:
    resyncs: list[int] = []

    async def on_resync() -> None:
        resyncs.append(1)

    backend = backend_for(asyncpg_dsn(database_url), on_resync)
    broadcast = Broadcast(backend=backend)
    await broadcast.connect()
    try:
        async with broadcast.subscribe("bus_backend_test") as subscriber:
            # As when a ping times out: the old connection is still open and gets dropped.
            backend.connection_lost()
            async with asyncio.timeout(30):
                while not resyncs:
                    await asyncio.sleep(0.02)

            await broadcast.publish("bus_backend_test", "after")
            heard = await asyncio.wait_for(subscriber.get(), 10)
    finally:
        await broadcast.disconnect()

    assert heard.message == "after"
    assert backend.reconnects == 1 and len(resyncs) == 1

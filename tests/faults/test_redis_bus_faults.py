"""The Redis bus under the Postgres bus's faults: a killed subscriber connection, a restarted
Redis. The shared Redis is only ever touched through the test's own named connection."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.recovery import listening_socket, people_in_a_room, recover_and_check
from tests.redis_server import OwnRedis, kill_subscribers, own_redis, shared_redis_or_skip
from tests.remote import bodies_received
from tests.server import running_server


@pytest.fixture
def restartable_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    with own_redis(tmp_path / "redis") as server:
        yield server


def _named_connections(database_url: str, tmp_path: Path) -> tuple[str, str, dict[str, str]]:
    """The shared Redis, a connection name of this test's own, and a server env using both."""
    shared = shared_redis_or_skip()
    name = f"parley-bus-test-{secrets.token_hex(4)}"
    return shared, name, {"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path),
                          "BUS_URL": f"{shared}?client_name={name}"}


async def test_a_killed_redis_subscriber_reconnects_and_clients_catch_up(
        database_url: str, tmp_path: Path) -> None:
    shared, name, env = _named_connections(database_url, tmp_path)
    with running_server(env) as (base, _):
        alice, bob, room_id = await people_in_a_room(base)
        ws = await listening_socket(alice, bob, room_id)

        assert await asyncio.to_thread(kill_subscribers, shared, name) == 1

        await recover_and_check(alice, bob, room_id, ws, "while the subscriber was down")


async def test_a_killed_redis_publisher_connection_is_replaced_and_nothing_is_lost(
        database_url: str, tmp_path: Path) -> None:
    shared, name, env = _named_connections(database_url, tmp_path)
    with running_server(env) as (base, _):
        alice, bob, room_id = await people_in_a_room(base)
        ws = await listening_socket(alice, bob, room_id)

        assert await asyncio.to_thread(kill_subscribers, shared, name, False) == 1
        await alice.say(room_id, "after the kill")

        assert await bodies_received(ws, 1) == ["after the kill"]
        await ws.close()


async def test_a_restarted_redis_is_survived_without_losing_messages(
        restartable_redis: OwnRedis, database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path),
           "BUS_URL": restartable_redis.url}
    with running_server(env) as (base, _):
        alice, bob, room_id = await people_in_a_room(base)
        ws = await listening_socket(alice, bob, room_id)

        await asyncio.to_thread(restartable_redis.restart)

        await recover_and_check(alice, bob, room_id, ws, "after the restart")

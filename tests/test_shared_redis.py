"""Two Parley instances on one Redis: each hears only its own events, even when their databases
have the same name (on two PostgreSQL servers), while an instance's replicas hear each other."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
import redis.asyncio as redis
from websockets.asyncio.client import ClientConnection

from app.db import asyncpg_dsn
from tests.database import migrate_in_child, throwaway_postgres, with_database
from tests.faults.recovery import people_in_a_room
from tests.helpers import WAIT, select
from tests.redis_server import OwnRedis, own_redis
from tests.remote import RemoteUser, wait_registered
from tests.server import running_server


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[OwnRedis]:
    with own_redis(tmp_path / "redis") as server:
        yield server


@pytest_asyncio.fixture
async def same_named_databases(database_server: str) -> AsyncIterator[tuple[str, str]]:
    """Two migrated databases called alike, one on the test server and one on another."""
    name = f"parley_same_{secrets.token_hex(4)}"
    with throwaway_postgres() as other:
        urls = [with_database(asyncpg_dsn(server), name)
                for server in (database_server, other.get_uri())]
        for server in (database_server, other.get_uri()):
            await _sql(asyncpg_dsn(server), f'CREATE DATABASE "{name}"')
        for url in urls:
            await migrate_in_child(url)
        yield urls[0], urls[1]
        await _sql(asyncpg_dsn(database_server), f'DROP DATABASE "{name}" WITH (FORCE)')


async def test_two_instances_on_one_redis_never_hear_each_other(
        same_named_databases: tuple[str, str], redis_server: OwnRedis, tmp_path: Path) -> None:
    url_a, url_b = same_named_databases
    env = {"BUS_URL": redis_server.url}
    with running_server({**env, "DATABASE_URL": url_a, "VAR_DIR": str(tmp_path / "a")}) \
            as (base_a, _), \
            running_server({**env, "DATABASE_URL": url_b, "VAR_DIR": str(tmp_path / "b")}) \
            as (base_b, _):
        # The same steps on both: the same user ids (1 and 2) in a room with the same id.
        alice_a, bob_a, room = await people_in_a_room(base_a)
        alice_b, bob_b, room_b = await people_in_a_room(base_b)
        carol_a = RemoteUser(base_a, f"carol{secrets.token_hex(3)}")
        await carol_a.sign_up()
        await carol_a.join(room)
        assert room == room_b
        sockets = [await bob_b.socket(room), await alice_a.socket(room),
                   await carol_a.socket(room)]
        for ws, user in zip(sockets, (bob_b, alice_a, carol_a), strict=True):
            await wait_registered(ws, user, room)
        listening, typing_on_a, watching_a = sockets

        # On A: bob (user 2) leaves room 1, and alice (user 1) types in it; carol, on A too,
        # sees her typing, so the notice has gone out before B's message below.
        assert (await bob_a.post(f"/rooms/{room}/membership/deletion")).status_code == 303
        await typing_on_a.send('{"type": "typing"}')
        await _typing_shown(watching_a, alice_a.username)
        await alice_b.say(room, "only on B")

        frames = await _frames_until(listening, "only on B")
        for ws in sockets:
            await ws.close()
        for user in (alice_a, bob_a, carol_a, alice_b, bob_b):
            await user.close()

    # B's bob still hears his room live, and never saw A's alice typing.
    assert not [t for f in frames for t in select(f, ".typing") if t.text.strip()]


async def test_the_replicas_of_one_instance_share_its_redis_channel(
        database_url: str, redis_server: OwnRedis, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "BUS_URL": redis_server.url}
    with running_server({**env, "VAR_DIR": str(tmp_path / "one")}) as (base_a, _), \
            running_server({**env, "VAR_DIR": str(tmp_path / "two")}) as (base_b, _):
        alice, bob, room = await people_in_a_room(base_a, base_b)
        listening = await bob.socket(room)
        await wait_registered(listening, bob, room)

        await alice.say(room, "from the other replica")

        frames = await _frames_until(listening, "from the other replica")
        await listening.close()
        for user in (alice, bob):
            await user.close()
        channels = await _channels(redis_server.url)

    assert frames
    assert len(channels) == 1 and channels[0].startswith("parley_events:")


async def _frames_until(ws: ClientConnection, body: str) -> list[str]:
    """Every frame the socket gets up to and including the one showing `body`."""
    frames: list[str] = []
    async with asyncio.timeout(WAIT):
        while True:
            frames.append(await ws.recv())
            if any(b.text == body for b in select(frames[-1], ".message .body")):
                return frames


async def _typing_shown(ws: ClientConnection, typist: str) -> None:
    async with asyncio.timeout(WAIT):
        while not any(typist in t.text for t in select(await ws.recv(), ".typing")):
            pass


async def _channels(url: str) -> list[str]:
    client = redis.Redis.from_url(url)
    try:
        return [c.decode() for c in await client.pubsub_channels()]
    finally:
        await client.aclose()


async def _sql(dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()

"""Two app processes on one database: a message posted through one reaches sockets on both,
over either bus (PostgreSQL's NOTIFY, or Redis with BUS_URL)."""

from __future__ import annotations

import asyncio
import secrets
import signal
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest
import websockets

from app.db import asyncpg_dsn
from tests.faults.recovery import people_in_a_room
from tests.helpers import WAIT
from tests.redis_server import shared_redis_or_skip, subscribers
from tests.remote import RemoteUser, bodies_received, wait_registered
from tests.server import running_server


@pytest.fixture(params=["postgres", "redis"])
def two_servers(request: pytest.FixtureRequest, database_url: str, tmp_path: Path):
    env = {"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path), "SECRET_KEY": "shared-secret"}
    if request.param == "redis":
        redis_url, name = shared_redis_or_skip(), f"parley-bus-test-{secrets.token_hex(4)}"
        env["BUS_URL"] = f"{redis_url}?client_name={name}"
    with running_server(env) as (a, _), running_server(env) as (b, _):
        if request.param == "redis":  # both really listen on Redis, not on NOTIFY
            assert len(subscribers(redis_url, name)) == 2
        yield a, b


async def test_a_message_posted_on_one_process_reaches_sockets_on_both(two_servers) -> None:
    base_a, base_b = two_servers
    alice, bob, room_id = await people_in_a_room(base_a, base_b)
    ws_a, ws_b = await alice.socket(room_id), await bob.socket(room_id)
    await wait_registered(ws_a, alice, room_id)
    await wait_registered(ws_b, bob, room_id)

    await alice.say(room_id, "from process A")
    await bob.say(room_id, "from process B")

    assert await bodies_received(ws_a, 2) == ["from process A", "from process B"]
    assert await bodies_received(ws_b, 2) == ["from process A", "from process B"]
    for closer in (ws_a.close(), ws_b.close(), alice.close(), bob.close()):
        await closer


async def test_a_logout_on_one_process_ends_the_session_on_the_other(two_servers) -> None:
    base_a, base_b = two_servers
    dave = RemoteUser(base_a, f"dave{secrets.token_hex(3)}")
    await dave.sign_up()
    on_b = httpx.AsyncClient(base_url=base_b, cookies=dave.http.cookies, timeout=20)
    assert (await on_b.get("/rooms")).status_code == 200  # process B now remembers it

    assert (await dave.post("/logout")).status_code == 303

    # Process B hears of it over the bus; until then (milliseconds) it may still say 200.
    async with asyncio.timeout(WAIT):
        while (await on_b.get("/rooms")).status_code != 302:
            await asyncio.sleep(0.05)
    await on_b.aclose()
    await dave.close()


async def test_sigterm_closes_sockets_with_1012_and_exits_by_itself(database_url: str,
                                                                   tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path)}
    with running_server(env) as (base, proc):
        carol = RemoteUser(base, f"carol{secrets.token_hex(3)}")
        await carol.sign_up()
        room_id = await carol.create_room("shutdown")
        ws = await carol.socket(room_id)
        await wait_registered(ws, carol, room_id)

        proc.send_signal(signal.SIGTERM)
        # Safety nets on a loaded machine, not measures (the image check times `docker stop`).
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 120)
        await asyncio.to_thread(proc.wait, 120)
        await carol.close()

    assert closed.value.rcvd.code == 1012
    assert proc.returncode == 0  # it exited by itself, cleanly, before any kill


async def test_web_concurrency_2_serves_from_two_processes(database_url: str,
                                                           tmp_path: Path) -> None:
    """WEB_CONCURRENCY=2: two worker processes share the port; sockets land on both, and a
    message reaches the sockets of each."""
    # bob opens sockets until both processes hold one: however many land on one process first,
    # none may be closed for the cap on one person's sockets
    env = {"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path), "WEB_CONCURRENCY": "2",
           "SOCKETS_PER_USER": "1000", "SOCKETS_PER_SESSION": "1000"}
    with running_server(env) as (base, proc):
        workers = [p for p in psutil.Process(proc.pid).children()
                   if "spawn_main" in " ".join(p.cmdline())]  # not multiprocessing's helpers
        alice, bob, room_id = await people_in_a_room(base)
        db = await asyncpg.connect(asyncpg_dsn(database_url))
        sockets: list[websockets.ClientConnection] = []
        processes: dict[str, int] = {}
        async with asyncio.timeout(WAIT):
            while len(processes) < 2:  # the kernel hands each connection to either process
                sockets.append(await bob.socket(room_id))
                while sum(processes.values()) < len(sockets):
                    rows = await db.fetch(
                        "SELECT p.instance_id, count(*) AS n FROM presence p JOIN users u "
                        "ON u.id = p.user_id WHERE u.username = $1 GROUP BY 1", bob.username)
                    processes = {r["instance_id"]: r["n"] for r in rows}
                    await asyncio.sleep(0.05)  # polling the table for the condition

        await alice.say(room_id, "to both processes")

        for ws in sockets:
            assert await bodies_received(ws, 1) == ["to both processes"]
        for closer in (*(ws.close() for ws in sockets), alice.close(), bob.close(), db.close()):
            await closer
    assert len(workers) == 2

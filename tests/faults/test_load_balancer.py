"""Two replicas behind nginx: one is killed mid-load, and nobody misses or doubles a message,
over either bus (PostgreSQL's NOTIFY, or Redis)."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.nginx import load_balancer, require_nginx
from tests.redis_server import shared_redis_or_skip
from tests.remote import RemoteUser
from tests.room_page import RoomPage, history, post_surviving_failover
from tests.server import running_server

SENDERS, WATCHERS, MESSAGES_EACH = 3, 3, 40


@pytest.fixture(params=["postgres", "redis"])
def replicas_behind_nginx(request: pytest.FixtureRequest, database_url: str,
                          tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen, str]]:
    """Two Parley processes on one database, nginx in front; yields (nginx URL, first replica,
    bus)."""
    require_nginx()
    env = {"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path), "SECRET_KEY": "shared-secret"}
    if request.param == "redis":
        env["BUS_URL"] = shared_redis_or_skip()
    with running_server(env) as (a, proc_a), running_server(env) as (b, _), \
            load_balancer([a, b], tmp_path / "nginx") as base:
        yield base, proc_a, request.param


async def test_clients_of_a_killed_replica_reconnect_through_nginx_and_miss_nothing(
        replicas_behind_nginx: tuple[str, subprocess.Popen, str]) -> None:
    base, replica, bus = replicas_behind_nginx
    tag = secrets.token_hex(3)
    people = [RemoteUser(base, f"p{i}{tag}") for i in range(SENDERS + WATCHERS)]
    for person in people:
        await person.sign_up()
    room_id = await people[0].create_room(f"failover {tag}")
    for person in people[1:]:
        await person.join(room_id)
    pages = [RoomPage(person, room_id) for person in people]
    for page in pages:  # back to back: round robin puts every other socket on each replica
        await page.connect()
    for page in pages:
        await page.sync()
    followers = [asyncio.create_task(page.follow()) for page in pages]
    accepted: list[str] = []

    async def send(sender: RemoteUser) -> None:
        for i in range(MESSAGES_EACH):
            accepted.append(await post_surviving_failover(sender, room_id, f"{sender.username} {i}"))

    async def kill_mid_load() -> None:
        while len(accepted) < SENDERS * MESSAGES_EACH // 3:
            await asyncio.sleep(0.01)
        replica.kill()  # SIGKILL: no 1012, no goodbye; its sockets just drop

    await asyncio.gather(kill_mid_load(), *(send(sender) for sender in people[:SENDERS]))
    truth = dict(await history(people[-1], room_id))
    async with asyncio.timeout(60):
        while any(len(page.shown) < len(accepted) for page in pages):
            await asyncio.sleep(0.05)
    for task in followers:
        task.cancel()
    await asyncio.gather(*followers, return_exceptions=True)
    for page in pages:
        await page.close()
        await page.user.close()

    assert sorted(truth) == sorted(accepted)  # each accepted post stored once
    assert list(truth.values()) == list(range(1, len(accepted) + 1))
    for page in pages:
        assert page.in_page_order() == list(truth)  # 0 lost, 0 shown twice, room order
        for delivered in page.sockets:  # never twice on one socket
            assert len(delivered) == len(set(delivered))
            if bus == "postgres":  # NOTIFY arrives in commit order; Redis in publish order
                assert delivered == sorted(delivered)
    reconnected = [page for page in pages if page.reconnects]
    assert 0 < len(reconnected) < len(pages)  # the killed replica's clients, and only they

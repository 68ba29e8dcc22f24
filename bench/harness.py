"""Bench plumbing: a pinned server and database, seeded members with signed-in cookies, clients.

Members are seeded straight into the database (one argon2 hash shared by all, sessions made
here, cookies signed with the server's SECRET_KEY) so that setting up 2,000 members takes
seconds instead of 2,000 deliberate 200 ms password hashes; log-in itself is measured on its
own (point 6).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from argon2 import PasswordHasher
from itsdangerous import URLSafeTimedSerializer
from tortoise import Tortoise

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db import tortoise_config  # noqa: E402
from app.models import Membership, Room, Session, User  # noqa: E402
from bench.httpclient import Answer, LeanHTTP  # noqa: E402
from bench.wsclient import LeanSocket, connect  # noqa: E402
from tests.server import free_port  # noqa: E402

PASSWORD = "bench password 123"
SECRET = "bench-secret-" + secrets.token_hex(8)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# Frames are read as bytes (bench/wsclient.py): the patterns are bytes too.
MESSAGE_SEQ = re.compile(rb'id="message-(b[0-9a-f]{32})" data-seq="(\d+)"')
READY = b'id="live-ready"'
SERVER_CORE, CLIENT_CORE = 0, 1


def two_cores() -> bool:
    return (os.cpu_count() or 1) > 1


def pin(pid: int, cores: set[int]) -> None:
    """Pin a process and its children (PostgreSQL forks its backends from the postmaster)."""
    if not two_cores():
        return
    proc = psutil.Process(pid)
    for p in [proc, *proc.children(recursive=True)]:
        try:
            p.cpu_affinity(sorted(cores))
        except psutil.Error:
            pass


def pin_postgres(pgdata: Path) -> None:
    """The throwaway PostgreSQL runs on the server's core too: it is part of the server."""
    pid = int((Path(pgdata) / "postmaster.pid").read_text().split()[0])
    pin(pid, {SERVER_CORE})


@contextmanager
def running_parley(database_url: str, var_dir: Path, workers: int = 1,
                   cores: set[int] | None = None,
                   tree: Path = ROOT) -> Iterator[tuple[str, int]]:
    """Parley (of the checkout `tree`) through the `make run` entry point on `cores`; yields
    (base URL, pid)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "HOST": "127.0.0.1",
           "RATE_LIMITS": "off", "VAR_DIR": str(var_dir), "LOG_LEVEL": "warning",
           "DB_POOL_MAX": "20", "SECRET_KEY": SECRET, "WEB_CONCURRENCY": str(workers)}
    cmd = [sys.executable, "-m", "app"]
    if two_cores():
        cmd = ["taskset", "-c", ",".join(map(str, sorted(cores or {SERVER_CORE}))), *cmd]
    server = subprocess.Popen(cmd, cwd=tree, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(30)


def rss_mib(pid: int) -> float:
    proc = psutil.Process(pid)
    total = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
    return total / 2**20


def cpu_seconds(pid: int) -> float:
    proc = psutil.Process(pid)
    times = [p.cpu_times() for p in [proc, *proc.children(recursive=True)]]
    return sum(t.user + t.system for t in times)


@dataclass
class Seeded:
    room_id: int
    user_ids: list[int]
    usernames: list[str]
    cookies: list[str]  # the auth cookie value of each member


async def seed_room(database_url: str, members: int, tag: str) -> Seeded:
    """A public room with `members` members, each signed in (a session row and its cookie)."""
    await Tortoise.init(config=tortoise_config(database_url, pool_max=2))
    try:
        password_hash = PasswordHasher().hash(PASSWORD)
        users = [User(username=f"{tag}{i}", username_key=f"{tag}{i}",
                      email=f"{tag}{i}@bench.example", password_hash=password_hash)
                 for i in range(members)]
        await User.bulk_create(users, batch_size=1000)
        users = await User.filter(username_key__startswith=tag).order_by("id")
        room = await Room.create(name=f"bench {tag}", owner=users[0])
        await Membership.bulk_create([Membership(room=room, user=u) for u in users],
                                     batch_size=1000)
        sessions = [Session(id=secrets.token_urlsafe(32), user=u) for u in users]
        await Session.bulk_create(sessions, batch_size=1000)
    finally:
        await Tortoise.close_connections()
    signer = URLSafeTimedSerializer(SECRET, "quart auth salt",
                                    signer_kwargs={"digest_method": hashlib.sha512})
    return Seeded(room.id, [u.id for u in users], [u.username for u in users],
                  [signer.dumps(s.id) for s in sessions])


class Member:
    """One seeded member's browser: the auth cookie, and a CSRF token once it loaded a page."""

    def __init__(self, base: str, auth_cookie: str) -> None:
        self.base = base
        self.http = httpx.AsyncClient(base_url=base, timeout=60,
                                      cookies={"parley_auth": auth_cookie},
                                      limits=httpx.Limits(max_connections=8))
        self.token = ""
        self.lean: LeanHTTP | None = None

    async def ready_to_post(self) -> None:
        page = (await self.http.get("/rooms")).text
        self.token = CSRF.search(page).group(1)

    async def post(self, path: str, data: dict[str, str]) -> Answer:
        """An htmx form post (through the lean client: the generator must not be the limit)."""
        if self.lean is None:
            cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
            self.lean = LeanHTTP(self.base, {"Cookie": cookie, "Origin": self.base})
        return await self.lean.post_form(path, data, {"X-CSRF-Token": self.token,
                                                      "HX-Request": "true"})

    async def socket(self, room_id: int | None) -> LeanSocket:
        url = self.base.replace("http", "ws", 1) + ("/ws" if room_id is None
                                                     else f"/ws?room={room_id}")
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        ws = await connect(url, {"Cookie": cookie, "Origin": self.base})
        # As the page does: the socket counts once the server routes the room to it (its first
        # frame); a post before that reaches it only through a catch-up.
        async with asyncio.timeout(120):
            while READY not in await ws.recv():
                pass
        return ws

    async def close(self) -> None:
        await self.http.aclose()
        if self.lean is not None:
            await self.lean.close()


async def open_sockets(members: list[Member], room_id: int | None,
                       chunk: int = 100) -> list[LeanSocket]:
    sockets: list[LeanSocket] = []
    for start in range(0, len(members), chunk):
        sockets += await asyncio.gather(*(m.socket(room_id)
                                          for m in members[start:start + chunk]))
    return sockets


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def new_cid() -> str:
    return "b" + os.urandom(16).hex()


def _wait_healthy(base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start")

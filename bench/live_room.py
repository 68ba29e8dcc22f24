"""Load generator for a live room: N members on WebSockets, some posting at a set rate.

Runs Parley as a real server process (the `make run` entry point) on its own CPU core, and the
load generator on the other, so the numbers say what one app process on one core can do.
Reports deliveries/s, end-to-end latency (POST sent -> frame received) p50/p95/p99, lost and
duplicated deliveries, and the server's RSS. `--idle N` instead opens N idle sockets.

    make bench BENCH_ARGS="--members 100 --posters 10 --rate 200 --seconds 20"
    make bench BENCH_ARGS="--idle 2000"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psutil
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.database import create_database, throwaway_postgres  # noqa: E402
from tests.server import free_port  # noqa: E402

MESSAGE_ID = re.compile(r'id="message-(b[0-9a-f]{32})"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Member:
    """One benchmark user: an HTTP client with cookies and a CSRF token."""

    def __init__(self, base: str, name: str) -> None:
        self.name = name
        self.http = httpx.AsyncClient(base_url=base, timeout=30,
                                      limits=httpx.Limits(max_connections=4))
        self.token = ""

    async def sign_up(self) -> None:
        page = (await self.http.get("/register")).text
        self.token = CSRF.search(page).group(1)
        response = await self.http.post("/register", data={
            "csrf_token": self.token, "username": self.name,
            "email": f"{self.name}@bench.example", "password": "bench password 123"})
        assert response.status_code == 303, response.text[:300]

    async def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return await self.http.post(path, data=data, headers={
            "X-CSRF-Token": self.token, "HX-Request": "true"})

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())


def start_server(database_url: str, port: int, var_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "HOST": "127.0.0.1",
           # Open sign-up: the benchmark's members sign up freely, with no join link.
           "RATE_LIMITS": "off", "SIGNUPS": "open", "VAR_DIR": str(var_dir),
           "LOG_LEVEL": "warning", "DB_POOL_MAX": "20"}
    cmd = [sys.executable, "-m", "app"]
    if os.cpu_count() and os.cpu_count() > 1:
        cmd = ["taskset", "-c", "0", *cmd]  # the server gets core 0, this generator core 1
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


async def wait_healthy(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def receive(ws, sent: dict[str, float], seen: dict[str, int],  # type: ignore[no-untyped-def]
                  latencies: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            frame = await asyncio.wait_for(ws.recv(), 0.5)
        except TimeoutError:
            continue
        now = time.perf_counter()
        for cid in MESSAGE_ID.findall(frame):
            seen[cid] = seen.get(cid, 0) + 1
            if cid in sent:
                latencies.append(now - sent[cid])


async def post_loop(members: list[Member], room_id: int, rate: float, seconds: float,
                    sent: dict[str, float], errors: list[str]) -> int:
    interval = 1 / rate
    start = time.perf_counter()
    tasks, n = [], 0
    while (elapsed := time.perf_counter() - start) < seconds:
        target = start + n * interval
        if target > time.perf_counter():
            await asyncio.sleep(target - time.perf_counter())
        member = members[n % len(members)]
        cid = "b" + uuid.uuid4().hex
        tasks.append(asyncio.create_task(_post(member, room_id, cid, sent, errors)))
        n += 1
    del elapsed
    await asyncio.gather(*tasks)
    return n


async def _post(member: Member, room_id: int, cid: str, sent: dict[str, float],
                errors: list[str]) -> None:
    sent[cid] = time.perf_counter()
    try:
        response = await member.post(f"/rooms/{room_id}/messages",
                                     {"body": f"load {cid}", "client_msg_id": cid})
        if response.status_code != 200:
            errors.append(f"{response.status_code}")
    except httpx.HTTPError as exc:
        errors.append(type(exc).__name__)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


async def live_room(base: str, server_pid: int, args: argparse.Namespace) -> dict:
    tag = secrets.token_hex(2)
    members = [Member(base, f"m{tag}{i}") for i in range(args.members)]
    for chunk in range(0, len(members), 20):
        await asyncio.gather(*(m.sign_up() for m in members[chunk:chunk + 20]))
    owner = members[0]
    created = await owner.http.post("/rooms", data={"csrf_token": owner.token, "name": "bench"})
    room_id = int(created.headers["location"].rsplit("/", 1)[-1])
    await asyncio.gather(*(m.post(f"/rooms/{room_id}/membership", {}) for m in members[1:]))
    ws_url = base.replace("http", "ws", 1) + f"/ws?room={room_id}"
    sockets = [await websockets.connect(ws_url, max_size=2**20, additional_headers={
        "Cookie": m.cookie_header(), "Origin": base}) for m in members]
    await asyncio.sleep(1)
    sent: dict[str, float] = {}
    seen_by = [dict() for _ in sockets]
    latencies: list[float] = []
    errors: list[str] = []
    stop = asyncio.Event()
    receivers = [asyncio.create_task(receive(ws, sent, seen, latencies, stop))
                 for ws, seen in zip(sockets, seen_by, strict=True)]
    proc = psutil.Process(server_pid)
    rss_before = _rss(proc)
    print(f"posting for {args.seconds}s (server pid {server_pid})", file=sys.stderr, flush=True)
    started = time.perf_counter()
    posted = await post_loop(members[:args.posters], room_id, args.rate, args.seconds, sent,
                             errors)
    post_time = time.perf_counter() - started
    await asyncio.sleep(args.drain)
    stop.set()
    await asyncio.gather(*receivers)
    total_time = time.perf_counter() - started
    rss_after = _rss(proc)
    for ws in sockets:
        await ws.close()
    for m in members:
        await m.http.aclose()
    accepted = posted - len(errors)
    expected = accepted * len(sockets)
    delivered = sum(sum(1 for c in seen if c in sent) for seen in seen_by)
    duplicates = sum(sum(n - 1 for n in seen.values() if n > 1) for seen in seen_by)
    return {
        "members": args.members, "posters": args.posters, "target_posts_per_s": args.rate,
        "posted": posted, "post_errors": len(errors), "achieved_posts_per_s": round(posted / post_time, 1),
        "deliveries": delivered, "expected_deliveries": expected, "lost": expected - delivered,
        "duplicates": duplicates, "deliveries_per_s": round(delivered / total_time, 1),
        "latency_ms_p50": round(percentile(latencies, 50) * 1000, 1),
        "latency_ms_p95": round(percentile(latencies, 95) * 1000, 1),
        "latency_ms_p99": round(percentile(latencies, 99) * 1000, 1),
        "server_rss_mib_before": rss_before, "server_rss_mib_after": rss_after,
    }


async def idle_sockets(base: str, server_pid: int, count: int) -> dict:
    member = Member(base, f"idle{secrets.token_hex(2)}")
    await member.sign_up()
    proc = psutil.Process(server_pid)
    rss_before = _rss(proc)
    ws_url = base.replace("http", "ws", 1) + "/ws"
    headers = {"Cookie": member.cookie_header(), "Origin": base}
    sockets = []
    started = time.perf_counter()
    for chunk in range(0, count, 100):
        sockets += await asyncio.gather(*(websockets.connect(ws_url, additional_headers=headers)
                                          for _ in range(min(100, count - chunk))))
    opened = time.perf_counter() - started
    await asyncio.sleep(5)
    alive = sum(1 for ws in sockets if ws.state.name == "OPEN")
    rss_after = _rss(proc)
    health = await member.http.get("/healthz")
    for ws in sockets:
        await ws.close()
    await member.http.aclose()
    return {"idle_sockets": count, "open_after_5s": alive, "seconds_to_open": round(opened, 1),
            "healthz_while_open": health.status_code, "server_rss_mib_before": rss_before,
            "server_rss_mib_after": rss_after,
            "kib_per_socket": round((rss_after - rss_before) * 1024 / max(count, 1), 1)}


def _rss(proc: psutil.Process) -> float:
    total = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
    return round(total / 2**20, 1)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--posters", type=int, default=10)
    parser.add_argument("--rate", type=float, default=200, help="posts per second, in total")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--drain", type=float, default=5, help="seconds to wait for stragglers")
    parser.add_argument("--idle", type=int, default=0, help="open N idle sockets instead")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    if os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {1})
    with throwaway_postgres() as pg:
        url = args.database_url or await create_database(pg.get_uri())
        port = free_port()
        var_dir = Path(pg.pgdata).parent / "var"
        server = start_server(url, port, var_dir)
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_healthy(base)
            pid = psutil.Process(server.pid).children()[0].pid if os.cpu_count() and \
                os.cpu_count() > 1 and psutil.Process(server.pid).children() else server.pid
            result = await (idle_sockets(base, pid, args.idle) if args.idle
                            else live_room(base, pid, args))
        finally:
            server.terminate()
            server.wait(30)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())

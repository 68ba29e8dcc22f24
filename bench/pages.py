"""Point 7 of `make bench`: the pages one signed-in member asks for, as fast as they are answered.

Sixteen keep-alive connections (bench/httpclient.py; wrk is not needed) ask for one route each
after the other for `seconds`, with the member's session cookie, against Parley pinned to one
core with its PostgreSQL (`taskset`, as every point): the room page of a room of 200 messages,
its catch-up fragment (the 50 newest after a seq), the rooms list, a search, and posts. Each
route reports requests/s and the p99 of its answers' latency. Run it alone:

    .venv/bin/python -m bench.pages [--seconds 8] [--server-tree DIR] [--profile DIR]

or as `make bench BENCH_ARGS="--only 7"`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import (
    CLIENT_CORE,
    ROOT,
    Member,
    Seeded,
    cpu_seconds,
    new_cid,
    percentile,
    pin_postgres,
    running_parley,
    seed_room,
    two_cores,
)
from bench.httpclient import Answer, LeanHTTP
from tests.database import create_database, throwaway_postgres

CONNECTIONS = 16
ROOM_MESSAGES = 200
CATCH_UP = 50  # the catch-up fragment asks for the newest 50 after a seq
MESSAGE_ID = re.compile(rb'data-message-id="(\d+)"')
CHANGE_SEQ = re.compile(rb'id="room-\d+-messages" data-change-seq="(\d+)"')
WORDS = ("deploy", "review", "lunch", "release", "metrics", "coffee", "incident", "docs")


@dataclass(frozen=True)
class Routes:
    """The paths the point asks for (the post is a form, built per request)."""

    room: str
    catch_up: str
    rooms: str
    search: str
    post: str


async def seed_pages(base: str, seeded: Seeded) -> tuple[Member, Routes]:
    """The room's 200 messages, posted through the app as a member would (some Markdown, some
    @mentions, a few reactions), and the routes to measure."""
    member = Member(base, seeded.cookies[0])
    await member.ready_to_post()
    room = seeded.room_id
    path = f"/rooms/{room}/messages"
    ids: list[int] = []
    for i in range(ROOM_MESSAGES):
        word = WORDS[i % len(WORDS)]
        body = (f"Message {i} about the **{word}**, see `notes/{i}.md` and "
                f"https://example.com/{word}/{i}" + (f" @{seeded.usernames[0]}" if i % 10 == 0
                                                     else ""))
        answer = await member.post(path, {"body": body, "client_msg_id": new_cid()})
        ids += [int(x) for x in MESSAGE_ID.findall(answer.body)[:1]]
    for message_id in ids[-CATCH_UP:][::5]:
        await member.post(f"{path}/{message_id}/reactions", {"emoji": "👍"})
    page = (await member.http.get(f"/rooms/{room}")).text
    changes = CHANGE_SEQ.search(page.encode())
    routes = Routes(room=f"/rooms/{room}",
                    catch_up=f"{path}?after={ROOM_MESSAGES - CATCH_UP}"
                             f"&changes={changes.group(1).decode() if changes else 0}",
                    rooms="/rooms", search=f"/search?q={WORDS[0]}", post=path)
    return member, routes


async def pages_point(base: str, seeded: Seeded, seconds: float,
                      pids: tuple[int, ...] = ()) -> dict:
    """req/s and latency percentiles of each route, one route at a time, posts last (they grow
    the room). With `pids` (the server's, PostgreSQL's postmaster), also the CPU time those
    processes and their children spent per request: on a busy machine the steadier number."""
    member, routes = await seed_pages(base, seeded)
    cookie = "; ".join(f"{k}={v}" for k, v in member.http.cookies.items())
    results: dict[str, dict] = {}
    gets = {"room page": (routes.room, {}), "catch-up fragment": (routes.catch_up,
                                                                   {"HX-Request": "true"}),
            "rooms list": (routes.rooms, {}), "search": (routes.search, {})}
    for name, (path, headers) in gets.items():
        results[name] = await _load(base, cookie, seconds, pids,
                                    lambda client, p=path, h=headers: client.get(p, h))
    csrf = {"X-CSRF-Token": member.token, "HX-Request": "true"}
    results["post"] = await _load(
        base, cookie, seconds, pids,
        lambda client: client.post_form(routes.post, {"body": "a quick note",
                                                      "client_msg_id": new_cid()}, csrf))
    await member.close()
    return results


async def _load(base: str, cookie: str, seconds: float, pids: tuple[int, ...],  # type: ignore[no-untyped-def]
                request) -> dict:
    """CONNECTIONS clients, each sending `request` again as soon as its answer is in."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    size = [0]
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        http = LeanHTTP(base, {"Cookie": cookie, "Origin": base})
        try:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                answer: Answer = await request(http)
                latencies.append(time.perf_counter() - sent)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                size[0] = len(answer.body)
        finally:
            await http.close()

    cpu = sum(cpu_seconds(pid) for pid in pids)
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
    return {"requests": len(latencies), "req_per_s": len(latencies) / elapsed,
            "cpu_ms_per_request": cpu * 1000 / max(1, len(latencies)),
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "statuses": statuses, "bytes": size[0]}


TARGETS = {"room page": (300, 100), "catch-up fragment": (400, None), "rooms list": (400, None),
           "search": (200, None), "post": (390, None)}


def table(results: dict, before: dict | None = None) -> str:
    """One row per route: req/s, p50, p99, body size, statuses (and ratios to `before`)."""
    rows = [("route", "target", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "bytes", "statuses")
            + (("req/s ratio", "p99 ratio", "CPU/req ratio") if before else ())]
    for name, x in results.items():
        rate, p99 = TARGETS[name]
        target = f">= {rate} req/s" + (f", p99 <= {p99} ms" if p99 else "")
        row = (name, target, f"{x['req_per_s']:,.0f}", f"{x['p50_ms']:.0f}", f"{x['p99_ms']:.0f}",
               f"{x['cpu_ms_per_request']:.2f}", f"{x['bytes']:,}",
               ", ".join(f"{k}: {v}" for k, v in sorted(x["statuses"].items())))
        if before and name in before:
            b = before[name]
            row += (f"x{x['req_per_s'] / b['req_per_s']:.2f}", f"x{x['p99_ms'] / b['p99_ms']:.2f}",
                    f"x{x['cpu_ms_per_request'] / b['cpu_ms_per_request']:.2f}")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


async def run(seconds: float, tree: Path, profile: Path | None = None) -> dict:
    from bench.suite import _start_profiler, _stop_profiler

    with throwaway_postgres() as pg:
        pin_postgres(Path(pg.pgdata))
        url = await create_database(pg.get_uri())
        postmaster = int((Path(pg.pgdata) / "postmaster.pid").read_text().split()[0])
        with running_parley(url, Path(pg.pgdata).parent / "var", tree=tree) as (base, pid):
            seeded = await seed_room(url, 1, "p")
            spy = _start_profiler(profile, pid, "pages.raw")
            try:
                return await pages_point(base, seeded, seconds, (pid, postmaster))
            finally:
                _stop_profiler(spy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8, help="length of each route's run")
    parser.add_argument("--server-tree", type=Path, default=ROOT)
    parser.add_argument("--compare", type=Path, metavar="TREE",
                        help="A/B: measure TREE first, then print this one's ratios to it")
    parser.add_argument("--profile", type=Path, help="py-spy raw stacks go to DIR/pages.raw")
    args = parser.parse_args()
    if two_cores():
        os.sched_setaffinity(0, {CLIENT_CORE})
    before = None
    if args.compare:
        before = asyncio.run(run(args.seconds, args.compare))
        print(f"{args.compare}:\n{table(before)}\n")
    results = asyncio.run(run(args.seconds, args.server_tree, args.profile))
    print(table(results, before))


if __name__ == "__main__":
    main()

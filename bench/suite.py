"""`make bench`: the performance targets measured in one run, printed as one table.

Parley runs through the `make run` entry point with its PostgreSQL pinned to core 0 and this
load generator on core 1 (`taskset`), so the numbers say what one app process and its database
do on one core. The machine may be shared, so compare the ratios of one run.

    make bench                                  # everything (a few minutes)
    make bench BENCH_ARGS="--only 1,2 --seconds 10"
    make bench BENCH_ARGS="--profile var/profile"  # py-spy stacks of the fastest point-1 run
    make bench BENCH_ARGS="--only 1,2 --compare ../parley-old"  # A/B: ratios to another checkout
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from bench import pages, profile_summary, scenarios
from bench.harness import (
    CLIENT_CORE,
    ROOT,
    SERVER_CORE,
    pin_postgres,
    running_parley,
    seed_room,
    two_cores,
)
from tests.database import create_database, throwaway_postgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="length of each load run")
    parser.add_argument("--rates", default="200,400",
                        help="posts/s of point 1 (the last one is profiled and used by point 5)")
    parser.add_argument("--large", type=int, default=1_000_000, help="messages in the big room")
    parser.add_argument("--only", default="1,2,3,4,5,6,7", help="points to measure, e.g. 1,3")
    parser.add_argument("--profile", type=Path,
                        help="py-spy raw stacks of the fastest point-1 run go here, summarized")
    parser.add_argument("--drain", type=float, default=5,
                        help="point 1/5: seconds without a new frame before what is missing "
                             "counts as lost")
    parser.add_argument("--json", action="store_true", help="print the raw numbers too")
    parser.add_argument("--server-tree", type=Path, default=ROOT,
                        help="run the server from this checkout instead of this one")
    parser.add_argument("--compare", type=Path, metavar="TREE",
                        help="A/B: measure the checkout TREE first, then this one, and print "
                             "this one's numbers as ratios of TREE's")
    args = parser.parse_args()
    if two_cores():
        os.sched_setaffinity(0, {CLIENT_CORE})
    points = {int(p) for p in args.only.split(",")}
    if args.compare:
        base_args = argparse.Namespace(**{**vars(args), "server_tree": args.compare,
                                          "profile": None})
        before = asyncio.run(run(base_args, points))
        print(f"{args.compare}:\n{table(before, args)}\n")
    results = asyncio.run(run(args, points))
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    print(table(results, args))
    if args.compare:
        print(f"\nthis checkout / {args.compare}:\n{ratios(before, results)}")
    raw = args.profile / "posts.raw" if args.profile else None
    if raw is not None and raw.exists():
        print(f"\nWhere the server's CPU went at {_rates(args)[-1]} posts/s ({raw}):\n"
              f"{profile_summary.report(raw)}")


async def run(args: argparse.Namespace, points: set[int]) -> dict:
    results: dict = {}
    with throwaway_postgres() as pg:
        pin_postgres(Path(pg.pgdata))
        url = await create_database(pg.get_uri())
        var_dir = Path(pg.pgdata).parent / "var"
        with running_parley(url, var_dir, tree=args.server_tree) as (base, pid):
            room = await seed_room(url, 100, "m")
            crowd = await seed_room(url, 2000, "c") if points & {2, 3} else None
            if 2 in points:
                results[2] = await scenarios.idle_sockets(base, pid, crowd, 2000)
            if 1 in points or 5 in points:
                *lower, top = _rates(args)
                for rate in lower:
                    results[f"1@{rate}"] = await scenarios.live_room(base, room, rate,
                                                                     args.seconds, drain=args.drain)
                spy = _start_profiler(args.profile, pid)
                try:
                    results[f"1@{top}"] = await scenarios.live_room(base, room, top,
                                                                    args.seconds, drain=args.drain)
                finally:
                    _stop_profiler(spy)
            if 3 in points:
                results[3] = await scenarios.broadcast(base, crowd)
            if 6 in points:
                talkers, logins = await seed_room(url, 2, "t"), await seed_room(url, 20, "l")
                results[6] = await scenarios.logins_and_latency(base, pid, talkers, logins)
            if 7 in points:
                postmaster = int((Path(pg.pgdata) / "postmaster.pid").read_text().split()[0])
                results[7] = await pages.pages_point(base, await seed_room(url, 1, "p"),
                                                     min(args.seconds, 8), (pid, postmaster))
            if 4 in points:
                small, large = await seed_room(url, 1, "s"), await seed_room(url, 1, "g")
                results[4] = await scenarios.history_flatness(base, url, small, large, 1000,
                                                              args.large)
        if 5 in points:
            with running_parley(url, var_dir, workers=2, cores={SERVER_CORE, CLIENT_CORE},
                                tree=args.server_tree) as (base, _):
                top = _rates(args)[-1]
                results[f"5@{top}"] = await scenarios.live_room(base, room, top, args.seconds,
                                                                drain=args.drain)
    return results


def _rates(args: argparse.Namespace) -> list[int]:
    return [int(rate) for rate in args.rates.split(",")]


def _start_profiler(directory: Path | None, pid: int,
                    name: str = "posts.raw") -> subprocess.Popen | None:
    """py-spy on the server (raw stacks, one line per distinct stack), if asked and installed."""
    spy = Path(sys.executable).parent / "py-spy"
    if directory is None or not spy.exists():
        return None
    directory.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--rate", "100",
                             "--format", "raw", "--nonblocking",
                             "--output", str(directory / name)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop_profiler(spy: subprocess.Popen | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        spy.wait(60)


def ratios(before: dict, after: dict) -> str:
    """The headline numbers of two runs, as after/before."""
    lines = []
    for key, r in after.items():
        b = before.get(key)
        if key == 7 and b:
            lines += [f"point 7 {route} {metric}: {x[metric]:,.1f} / {b[route][metric]:,.1f} = "
                      f"x{x[metric] / b[route][metric]:.2f}"
                      for route, x in r.items()
                      for metric in ("req_per_s", "p99_ms", "cpu_ms_per_request")]
            continue
        for metric in ("deliveries_per_s", "p50_ms", "p99_ms", "kib_per_socket", "max_ms"):
            if b and isinstance(r, dict) and metric in r and b.get(metric):
                lines.append(f"point {key} {metric}: {r[metric]:,.1f} / {b[metric]:,.1f} "
                             f"= x{r[metric] / b[metric]:.2f}")
    return "\n".join(lines)


def table(r: dict, args: argparse.Namespace) -> str:
    rows = [("point", "target", "measured", "met")]

    def add(point: str, target: str, measured: str, met: bool | None) -> None:
        rows.append((point, target, measured, "n/a" if met is None else ("yes" if met else "NO")))

    top = _rates(args)[-1]
    for rate in _rates(args):
        x = r.get(f"1@{rate}")
        if x:
            add(f"1. {rate} posts/s x 100 members", "p99 <= 250 ms, 0 lost, 0 dup, on schedule",
                f"{x['deliveries_per_s']:,.0f} deliveries/s, {x['accepted']}/{x['sent']} posts "
                f"accepted ({x['sent_late']} sent late), p50 {x['p50_ms']:.0f} ms, "
                f"p99 {x['p99_ms']:.0f} ms, lost {x['lost']}, dup {x['duplicated']}, "
                f"errors {x['errors_by_kind'] or 0}, sockets closed {x['sockets_closed'] or 0}",
                x["p99_ms"] <= 250 and x["lost"] == 0 and x["duplicated"] == 0
                and x["accepted"] == x["sent"] and x["sent_late"] <= x["sent"] * 0.03)
    if 2 in r:
        x = r[2]
        add("2. idle sockets", "<= 25 KB each",
            f"{x['kib_per_socket']:.1f} KiB each over {x['sockets']:,} ({x['open']:,} open)",
            x["kib_per_socket"] * 1.024 <= 25)
    if 3 in r:
        x = r[3]
        add("3. one message to 2,000 members", "p99 <= 200 ms to the last frame",
            f"p50 {x['p50_ms']:.0f} ms, p99 {x['p99_ms']:.0f} ms ({x['members']:,} sockets)",
            x["p99_ms"] <= 200)
    if 4 in r:
        x = r[4]
        post, page = x["post_ms_1m"] / x["post_ms_1k"], x["page_ms_1m"] / x["page_ms_1k"]
        add(f"4. history 1k vs {args.large:,}", "post and page within 20 %",
            f"post {x['post_ms_1k']:.1f} vs {x['post_ms_1m']:.1f} ms (x{post:.2f}), "
            f"page {x['page_ms_1k']:.1f} vs {x['page_ms_1m']:.1f} ms (x{page:.2f})",
            post <= 1.2 and page <= 1.2)
    if f"5@{top}" in r and f"1@{top}" in r:
        one, two = r[f"1@{top}"], r[f"5@{top}"]
        add(f"5. two processes ({top} posts/s)", "report the gain",
            f"{two['deliveries_per_s']:,.0f} vs {one['deliveries_per_s']:,.0f} deliveries/s "
            f"(x{two['deliveries_per_s'] / one['deliveries_per_s']:.2f}), p99 {two['p99_ms']:.0f}"
            f" vs {one['p99_ms']:.0f} ms, lost {two['lost']}", None)
    if 6 in r:
        x = r[6]
        add("6. message during 20 log-ins", "arrives within 100 ms",
            f"p50 {x['p50_ms']:.0f}, p99 {x['p99_ms']:.0f}, max {x['max_ms']:.0f} ms over "
            f"{x['messages']} messages; {x['logged_in']}/"
            f"{x['logins']} log-ins took {x['login_seconds']:.1f} s", x["max_ms"] <= 100)
    if 7 in r:
        for route, x in r[7].items():
            rate, p99 = pages.TARGETS[route]
            add(f"7. {route} (16 connections)",
                f">= {rate} req/s" + (f", p99 <= {p99} ms" if p99 else ""),
                f"{x['req_per_s']:,.0f} req/s, p50 {x['p50_ms']:.0f} ms, p99 {x['p99_ms']:.0f} ms,"
                f" {x['cpu_ms_per_request']:.2f} ms CPU/request, {x['bytes']:,} bytes",
                x["req_per_s"] >= rate and (p99 is None or x["p99_ms"] <= p99))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

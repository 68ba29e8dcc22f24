"""Where the server's CPU went, from py-spy's raw stacks (`make bench BENCH_ARGS="--profile D"`).

Each sampled stack is put in the first bucket whose marker it contains (most specific first),
so the shares add up to 100 % of the samples taken while the server was on the CPU.

    .venv/bin/python -m bench.profile_summary var/profile/post-400.raw
"""

from __future__ import annotations

import sys
from pathlib import Path

# (bucket, markers): a stack falls in the first bucket one of whose markers it contains.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("asyncpg pool release", ("Pool.release", "_release (asyncpg", "reset (asyncpg")),
    ("password hashing", ("argon2",)),
    ("fan-out: render", ("app/live_views", "render_fragment")),
    ("fan-out: per-socket sends", ("app/realtime/pump.py", "websockets_sansio_impl.py",
                                   "websocket.py")),
    ("fan-out: bus and dispatcher", ("app/realtime/",)),
    ("POST a message", ("app/blueprints/messages.py", "app/actions/message")),
    ("HTTP request handling (Quart, cookies, auth)", ("quart/", "httptools_impl.py")),
    ("database driver (asyncpg, tortoise)", ("asyncpg/", "tortoise/")),
]
# A stack whose innermost frame is one of these is the event loop waiting (uvloop is C code).
IDLE_LEAVES = ("Runner.run (", "Server.main_loop (")


def summarize(raw: Path) -> list[tuple[str, float]]:
    counts: dict[str, int] = {}
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1]
        bucket = "idle (the event loop waiting)" if leaf.startswith(IDLE_LEAVES) else next(
            (name for name, markers in BUCKETS
             if any(m in stack for m in markers)), "other")
        counts[bucket] = counts.get(bucket, 0) + int(n)
    total = sum(counts.values()) or 1
    return sorted(((name, 100 * n / total) for name, n in counts.items()),
                  key=lambda item: -item[1])


def report(raw: Path) -> str:
    return "\n".join(f"{share:5.1f} %  {name}" for name, share in summarize(raw))


if __name__ == "__main__":
    print(report(Path(sys.argv[1])))

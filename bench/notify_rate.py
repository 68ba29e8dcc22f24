"""How many messages a second one PostgreSQL server can announce on Parley's NOTIFY bus.

Each publisher connection runs the transaction `create_message` runs, in one round trip: bump
its room's sequence number, insert the message row, `pg_notify` a MessageCreated payload, commit.
One listener connection counts what arrives. The same transactions without the NOTIFY are the
baseline, so the table shows what NOTIFY itself costs as publishers are added: PostgreSQL takes
one database-wide lock for the commit of every transaction that notified and holds it through
the commit's WAL flush, so notifying commits do not share flushes (group commit) the way plain
commits do.

    make bench-notify
    make bench-notify BENCH_ARGS="--publishers 1 4 16 --seconds 10 --database-url postgres://..."

Without --database-url (or BENCH_DATABASE_URL) it runs on a throwaway embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db import asyncpg_dsn  # noqa: E402
from app.realtime.events import MessageCreated  # noqa: E402
from tests.database import create_database, drop_database, throwaway_postgres  # noqa: E402

CHANNEL = "parley_bench_notify"
SCHEMA = """
CREATE TABLE bench_rooms (id int PRIMARY KEY, last_seq bigint NOT NULL DEFAULT 0);
CREATE TABLE bench_messages (id bigserial PRIMARY KEY, room_id int NOT NULL, seq bigint NOT NULL,
                             body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
"""


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publishers", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--synchronous-commit", choices=["on", "off"],
                        help="override the server's setting for the publishers' sessions")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    if args.database_url:
        await _run(asyncpg_dsn(args.database_url), args)
        return
    with throwaway_postgres() as pg:
        await _run(pg.get_uri(), args)


async def _run(server_url: str, args: argparse.Namespace) -> None:
    url = await create_database(server_url)
    try:
        conn = await asyncpg.connect(url)
        await conn.execute(SCHEMA)
        await conn.execute("INSERT INTO bench_rooms SELECT generate_series(1, $1)",
                           max(args.publishers))
        settings = [await conn.fetchval(f"SHOW {name}") for name in
                    ("server_version", "synchronous_commit", "fsync")]
        settings[1] = args.synchronous_commit or settings[1]
        await conn.close()
        print(f"PostgreSQL {settings[0]} (synchronous_commit={settings[1]}, fsync={settings[2]}), "
              f"payload {len(_payload(1, 1))} bytes, {args.seconds:g} s per line")
        print("| publishers | write + NOTIFY (commits/s) | delivered | lost "
              "| write only (commits/s) | NOTIFY's share of the commit rate |")
        print("|---|---|---|---|---|---|")
        for publishers in args.publishers:
            with_notify, delivered = await _measure(url, publishers, args, notify=True)
            plain, _ = await _measure(url, publishers, args, notify=False)
            print(f"| {publishers} | {with_notify / args.seconds:,.0f} "
                  f"| {delivered / args.seconds:,.0f}/s | {with_notify - delivered} "
                  f"| {plain / args.seconds:,.0f} | {with_notify / max(plain, 1):.0%} |")
    finally:
        await drop_database(server_url, url)


async def _measure(url: str, publishers: int, args: argparse.Namespace,
                   notify: bool) -> tuple[int, int]:
    """Commits made by `publishers` connections in `seconds`, and notifications heard."""
    heard, expected, all_heard = 0, -1, asyncio.Event()

    def on_notify(*_: object) -> None:
        nonlocal heard
        heard += 1
        if heard == expected:
            all_heard.set()

    listener = await asyncpg.connect(url)
    await listener.add_listener(CHANNEL, on_notify)
    session = {"synchronous_commit": args.synchronous_commit} if args.synchronous_commit else {}
    conns = [await asyncpg.connect(url, server_settings=session) for _ in range(publishers)]
    deadline = time.monotonic() + args.seconds
    counts = await asyncio.gather(*(_publish(conn, room, deadline, notify)
                                    for room, conn in enumerate(conns, start=1)))
    sent = expected = sum(counts)
    if notify and heard < sent:  # wait for the tail, not forever: a shortfall shows as lost
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_heard.wait(), 10)
    for conn in [*conns, listener]:
        await conn.close()
    return sent, heard


async def _publish(conn: asyncpg.Connection, room: int, deadline: float, notify: bool) -> int:
    """Run create_message's transaction back to back on one connection until `deadline`."""
    done = 0
    while time.monotonic() < deadline:
        seq = done + 1
        # One simple-protocol script: one round trip, so the server, not the client, is measured.
        await conn.execute(
            "BEGIN;"
            f"UPDATE bench_rooms SET last_seq = last_seq + 1 WHERE id = {room};"
            f"INSERT INTO bench_messages (room_id, seq, body) VALUES ({room}, {seq}, 'hello');"
            + (f"SELECT pg_notify('{CHANNEL}', '{_payload(room, seq)}');" if notify else "")
            + "COMMIT;")
        done += 1
    return done


def _payload(room: int, seq: int) -> str:
    """What create_message announces (ids only); its JSON contains no quote to escape."""
    return MessageCreated(room_id=room, message_id=10_000_000 + seq, seq=seq,
                          author_id=1000 + room).to_json()


if __name__ == "__main__":
    asyncio.run(main())

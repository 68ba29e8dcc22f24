"""Search latency on a room with a million messages (not part of the test suite).

    .venv/bin/python -m bench.search [--messages 1000000] [--queries 50]

Starts a throwaway embedded PostgreSQL, migrates it, fills one room with generated messages
(INSERT ... SELECT generate_series: skewed word frequencies, so there are common, medium and
rare words) plus a small second room, then times search_messages() with and without a room
filter and prints p50/p95 per query kind.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from tortoise import connections

from app.db import migrate_database, start_orm, stop_orm
from app.models import Room, User
from app.queries.search import search_messages
from tests.database import create_database, throwaway_postgres

FILL = """
INSERT INTO messages (room_id, author_id, seq, client_msg_id, body, created_at, change_seq)
SELECT $1, $2, g, 'bench-' || g,
       array_to_string(ARRAY(SELECT 'w' || floor(power(random(), 3) * 5000)::int
                             FROM generate_series(1, 8 + g % 8)), ' ')
       || CASE WHEN g % 10000 = 0 THEN ' needle' ELSE '' END,
       now() - (($3 - g) || ' seconds')::interval, 0
FROM generate_series($4::bigint, $5::bigint) AS g
"""
QUERIES = {"common word": "w1", "medium word": "w300", "rare word": "w4900",
           "very rare word": "needle", "phrase": '"w1 w2"', "two words": "w5 w40"}


async def main(total: int, runs: int) -> None:
    """Fill, analyse, then time every query kind with and without a room filter."""
    with throwaway_postgres() as server:
        url = await create_database(server.get_uri())
        await migrate_database(url)
        await start_orm(url)
        try:
            user = await User.create(username="bench", username_key="bench", email="b@example.com",
                                     password_hash="x")
            big = await Room.create(name="big", owner=user)
            small = await Room.create(name="small", owner=user)
            conn = connections.get("default")
            started = time.perf_counter()
            for first in range(1, total + 1, 100_000):
                await conn.execute_query(FILL, [big.id, user.id, total, first,
                                                min(first + 99_999, total)])
            await conn.execute_query(FILL, [small.id, user.id, 1000, 1, 1000])
            await conn.execute_script("VACUUM ANALYZE messages")
            print(f"filled {total:,} messages in {time.perf_counter() - started:.0f} s")
            for label, query in QUERIES.items():
                for room_id in (None, small.id, big.id):
                    times = []
                    for _ in range(runs):
                        t0 = time.perf_counter()
                        await search_messages(user, query, room_id)
                        times.append((time.perf_counter() - t0) * 1000)
                    times.sort()
                    p95 = times[max(0, int(len(times) * 0.95) - 1)]
                    where = {None: "all rooms", small.id: "small room", big.id: "big room"}[room_id]
                    print(f"{label:15} {where:10} p50 {statistics.median(times):7.1f} ms"
                          f"  p95 {p95:7.1f} ms")
        finally:
            await stop_orm()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.queries))

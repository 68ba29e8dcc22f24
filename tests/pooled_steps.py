"""What the posting connection sets behind a transaction pooler, read in a process of its own
(Tortoise keeps one global configuration per process; the test session's must stay)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from tortoise import connections

from app.db import posting, start_orm, stop_orm

READ = "SELECT current_setting('plan_cache_mode') AS mode, pg_backend_pid() AS pid"


async def plan_settings(url: str) -> dict[str, Any]:
    """The plan setting (and server process) inside the post's transaction, then outside it."""
    await start_orm(url, pool_max=2, pooled=True)
    try:
        async with posting() as conn:
            inside = (await conn.execute_query_dict(READ))[0]
        outside = (await connections.get("default").execute_query_dict(READ))[0]
    finally:
        await stop_orm()
    return {"inside": inside, "outside": outside}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(plan_settings(sys.argv[1]))))

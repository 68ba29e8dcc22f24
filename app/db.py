"""Database wiring: the Tortoise config, ORM start/stop, and migrations under an advisory lock.

Pooled connections are handed back without asyncpg's reset query (advisory unlock, CLOSE ALL,
UNLISTEN, RESET ALL), which cost a round trip on every release: a tenth of the server's CPU
under load. That is safe because the app never leaves session state on a pooled connection:
settings are `SET LOCAL` (ending with their transaction), the migration lock and the bus's
LISTEN use connections of their own, and no cursor outlives its transaction. An open
transaction is still rolled back on release (asyncpg does that before any reset).
tests/test_db_pool.py holds the app to this.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise
from tortoise.backends.asyncpg import AsyncpgDBClient
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

# The connections of the one-statement post (app/actions/message_insert.py), whose plan is kept
# generic: PostgreSQL re-planned it for every post otherwise (about 1 ms of its CPU per post
# against 0.35 ms, measured on a room of 100), because its estimate for the generic plan of a
# nine-part statement looks dearer than a custom one. No other query is affected.
POSTING = "posting"
_posting: AsyncpgDBClient | None = None
MIGRATION_LOCK_ID = 0x7061726C  # "parl": one migrator at a time across replicas


def asyncpg_dsn(url: str) -> str:
    """The URL in the form asyncpg and broadcaster accept."""
    for prefix in ("postgres://", "asyncpg://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


def database_name(url: str) -> str:
    """The database a URL points at."""
    return urlsplit(url).path.lstrip("/")


class PooledConnection(asyncpg.Connection):
    """A pool connection released without a reset query (see the module's docstring)."""

    def get_reset_query(self) -> str:
        return ""


def tortoise_config(url: str, pool_max: int = 10) -> dict[str, Any]:
    """Tortoise config for one PostgreSQL database, with the explicit migrations key it needs."""
    dsn = asyncpg_dsn(url).replace("postgresql://", "asyncpg://", 1)
    sep = "&" if "?" in dsn else "?"
    connection = expand_db_url(f"{dsn}{sep}minsize=1&maxsize={pool_max}")
    connection["credentials"]["connection_class"] = PooledConnection
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": ["app.models"],
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def start_orm(url: str, pool_max: int = 10) -> None:
    """Open the ORM for request handling (with Tortoise's global fallback, so every request task sees it)."""
    global _posting
    config = tortoise_config(url, pool_max)
    await Tortoise.init(config=config, _enable_global_fallback=True)
    # Outside Tortoise's config: with two connections there, every unnamed transaction would
    # have to say which one it means.
    credentials = deepcopy(config["connections"]["default"]["credentials"])
    credentials.update(maxsize=max(2, pool_max // 2), connection_name=POSTING,
                       server_settings={"plan_cache_mode": "force_generic_plan"})
    _posting = AsyncpgDBClient(**credentials)


def posting_connection() -> BaseDBAsyncClient:
    """The connections the one-statement post runs on (see POSTING)."""
    if _posting is None:
        raise RuntimeError("the ORM is not started")
    return _posting


async def stop_orm() -> None:
    """Close the pools and clear Tortoise's global context so a later start works."""
    global _posting
    if _posting is not None:
        await _posting.close()
        _posting = None
    await Tortoise.close_connections()


async def migrate_database(url: str) -> None:
    """Apply pending migrations, one process at a time (safe with several replicas)."""
    lock_conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await lock_conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        try:
            await migrate(config=tortoise_config(url, pool_max=2))
        finally:
            await Tortoise.close_connections()
            await lock_conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    finally:
        await lock_conn.close()

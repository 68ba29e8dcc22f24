"""The container's entrypoint, run outside Docker: start-up, migration, health, SIGTERM; the image."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from app.db import asyncpg_dsn
from tests.database import create_database, drop_database
from tests.server import ROOT, _wait_healthy, free_port

ENTRYPOINT = ROOT / "scripts" / "entrypoint"


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A /data stand-in whose parents PostgreSQL's unprivileged user can traverse."""
    tmp_path.chmod(0o755)
    yield tmp_path / "data"


def test_the_entrypoint_starts_embedded_postgres_migrates_serves_and_stops_on_sigterm(
        data_dir: Path) -> None:
    port = free_port()
    env = {**_clean_env(), "VAR_DIR": str(data_dir), "PYTHON": sys.executable,
           "PORT": str(port), "HOST": "127.0.0.1", "RATE_LIMITS": "off"}
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([str(ENTRYPOINT)], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc, 60, log)
        health = httpx.get(f"{base}/healthz")
        tables = asyncio.run(_tables(f"postgresql://postgres:@/postgres?host={data_dir / 'pg'}"))

        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        proc.wait(timeout=15)
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()

    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert {"users", "rooms", "messages", "tortoise_migrations"} <= tables
    assert proc.returncode == 0 and elapsed < 15
    assert (data_dir / "pg" / "PG_VERSION").exists()
    assert not (data_dir / "pg" / "postmaster.pid").exists()  # the database stopped too
    assert (data_dir / "secret_key").exists()  # sessions survive a restart of the container


async def test_two_processes_migrating_one_fresh_database_at_once_both_succeed(
        database_server: str) -> None:
    url = await create_database(database_server)
    try:
        script = "import asyncio, sys; from app.db import migrate_database; " \
                 "asyncio.run(migrate_database(sys.argv[1]))"
        procs = [await asyncio.create_subprocess_exec(sys.executable, "-c", script, url, cwd=ROOT,
                                                      stderr=asyncio.subprocess.PIPE)
                 for _ in range(2)]
        results = [await p.communicate() for p in procs]
        later = await asyncio.create_subprocess_exec(sys.executable, "-c", script, url, cwd=ROOT)
        await later.wait()  # a third, later, finds nothing left to do

        applied = await _applied_migrations(url)
        tables = await _tables(url)
    finally:
        await drop_database(database_server, url)

    assert [p.returncode for p in (*procs, later)] == [0, 0, 0], [err.decode()[-2000:] for _, err in results]
    assert len(applied) == len(set(applied)) == len(list((ROOT / "migrations").glob("0*.py")))
    assert {"users", "rooms", "messages"} <= tables


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck_and_no_build_tools() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    final_stage = re.split(r"^FROM ", dockerfile, flags=re.M)[-1]

    assert final_stage.startswith("python:3.13-slim")
    assert re.search(r"^USER (?!root)\w+", final_stage, flags=re.M)
    assert "HEALTHCHECK" in final_stage and "/healthz" in final_stage
    assert not re.search(r"apt-get|build-essential|gcc|npm ", final_stage)
    assert "VAR_DIR=/data" in final_stage and 'ENTRYPOINT ["/app/scripts/entrypoint"]' in final_stage
    assert "axe-core" not in dockerfile  # a test tool, never served to users


def test_compose_runs_parley_on_postgres_16_with_healthcheck_and_named_volumes() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()

    assert "image: postgres:16" in compose
    assert "pg_isready" in compose and "condition: service_healthy" in compose
    assert re.search(r"^volumes:\n  pgdata:\n  parley-data:", compose, flags=re.M)
    assert "# parley-2:" in compose  # the commented second replica


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MEDIA_ROOT"}}


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


async def _applied_migrations(url: str) -> list[str]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch("SELECT name FROM tortoise_migrations")
    finally:
        await conn.close()
    return [r["name"] for r in rows]

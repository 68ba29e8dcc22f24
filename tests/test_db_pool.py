"""The ORM's pool hands connections back without a reset query, so the app leaves no session
state on them (app/db.py): these tests hold it to that."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

from quart import Quart
from tortoise import connections

from app.db import PooledConnection, posting_connection
from config.settings import settings_of
from tests.helpers import Person

APP = Path(__file__).resolve().parent.parent / "app"


def _sources() -> dict[str, str]:
    return {str(p.relative_to(APP)): p.read_text() for p in APP.rglob("*.py")}


async def test_pool_connections_skip_the_reset_round_trip(app: Quart) -> None:
    async with connections.get("default").acquire_connection() as conn:
        assert isinstance(conn, PooledConnection)
        assert conn.get_reset_query() == ""


async def test_the_posting_statement_keeps_a_generic_plan_and_nothing_else_does(app: Quart) -> None:
    async with posting_connection().acquire_connection() as conn:
        posting = await conn.fetchval("SHOW plan_cache_mode")
    async with connections.get("default").acquire_connection() as conn:
        default = await conn.fetchval("SHOW plan_cache_mode")
    assert (posting, default) == ("force_generic_plan", "auto")


async def test_a_transaction_left_open_is_still_rolled_back_on_release(app: Quart) -> None:
    async with connections.get("default").acquire_connection() as conn:
        await conn.execute("BEGIN; CREATE TEMP TABLE left_open (x int) ON COMMIT DROP")
    async with connections.get("default").acquire_connection() as again:
        assert not again.is_in_transaction()
        assert await again.fetchval("SELECT to_regclass('pg_temp.left_open')") is None


async def test_a_searchs_statement_timeout_ends_with_its_transaction(app: Quart, alice: Person,
                                                                    room_id: int) -> None:
    await alice.say(room_id, "needle in the haystack")
    page = await alice.get("/search?q=needle")
    assert page.status_code == 200
    async with contextlib.AsyncExitStack() as stack:  # every connection the pool will lend now
        held = []
        for _ in range(settings_of(app).db_pool_max):
            try:  # a background loop (mail, push, presence) may be holding one: do not wait on it
                held.append(await asyncio.wait_for(stack.enter_async_context(
                    connections.get("default").acquire_connection()), timeout=2))
            except TimeoutError:
                break
        timeouts = {await c.fetchval("SHOW statement_timeout") for c in held}
    assert held and timeouts == {"0"}


def test_app_code_sets_no_session_state_on_pooled_connections() -> None:
    # Session-level SET, advisory locks and LISTEN would outlive the request on a pooled
    # connection now that nothing resets it; each is allowed only where it has its own.
    session_set = re.compile(r"""["'](?:SET|RESET)\s+(?!LOCAL\b)\w""")  # SQL is upper case
    listen = re.compile(r"""add_listener\(|["']LISTEN\s""")
    found = []
    for name, text in _sources().items():
        if session_set.search(text):
            found.append(f"{name}: session SET")
        if "pg_advisory_lock" in text and name != "db.py":
            found.append(f"{name}: advisory lock")
        if listen.search(text) and not name.startswith(
                "realtime/backends/"):
            found.append(f"{name}: LISTEN")
    assert found == []

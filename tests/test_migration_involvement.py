"""Migration 0019: each member's old per-room e-mail setting becomes their involvement, so
nobody's e-mail changes ("all" -> everything, "mentions" -> mentions, "none" -> nothing)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from app.db import asyncpg_dsn
from tests.database import create_database, drop_database, migrate_in_child

OLD_ROWS = """
INSERT INTO users (id, username, username_key, email, password_hash, email_notifications,
                   created_at)
VALUES (1, 'alice', 'alice', 'alice@example.com', 'x', true, now()),
       (2, 'bob', 'bob', 'bob@example.com', 'x', true, now()),
       (3, 'carol', 'carol', 'carol@example.com', 'x', true, now());
INSERT INTO rooms (id, name, topic, kind, owner_id, last_seq, last_change_seq, created_at)
VALUES (1, 'general', '', 'public', 1, 0, 0, now());
INSERT INTO memberships (room_id, user_id, joined_at, last_read_seq, email_mode, email_held)
VALUES (1, 1, now(), 0, 'all', false), (1, 2, now(), 0, 'mentions', false),
       (1, 3, now(), 0, 'none', false);
"""


@pytest_asyncio.fixture
async def old_database(database_server: str) -> AsyncIterator[str]:
    url = await create_database(database_server)
    try:
        await migrate_in_child(url, "models.0018_security_round3")
        yield url
    finally:
        await drop_database(database_server, url)


async def test_each_email_setting_becomes_the_involvement_that_emails_the_same(
        old_database: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(old_database))
    try:
        await conn.execute(OLD_ROWS)
        await migrate_in_child(old_database)
        rows = await conn.fetch("SELECT user_id, involvement FROM memberships ORDER BY user_id")
    finally:
        await conn.close()

    assert [(r["user_id"], r["involvement"]) for r in rows] == [
        (1, "everything"), (2, "mentions"), (3, "nothing")]

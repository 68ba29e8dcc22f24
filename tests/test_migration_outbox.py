"""Migration 0019: e-mail and push rows written before the upgrade move into the one outbox,
pending ones still pending (nothing owed is lost), the others with their history."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.database import migrate_in_child, old_schema_with, run_step

OLD_ROWS = """
INSERT INTO users (id, username, username_key, email, password_hash, email_notifications,
                   created_at)
VALUES (1, 'alice', 'alice', 'alice@example.com', 'x', true, now()),
       (2, 'bob', 'bob', 'bob@example.com', 'x', true, now());
INSERT INTO rooms (id, name, topic, kind, last_seq, last_change_seq, created_at)
VALUES (3, 'general', '', 'public', 1, 0, now());
INSERT INTO messages (id, room_id, author_id, seq, client_msg_id, body, change_seq, created_at)
VALUES (4, 3, 1, 1, 'first-000000001', '@bob hello', 0, now());
INSERT INTO notifications (user_id, kind, status, actor_id, room_id, message_id, attempts,
                           not_before, last_error, created_at)
VALUES (2, 'mention', 'pending', 1, 3, 4, 2, now() + interval '1 hour', 'timed out', now()),
       (2, 'password_reset', 'sent', NULL, NULL, NULL, 0, now(), '', now());
INSERT INTO push_deliveries (user_id, kind, status, actor_id, room_id, message_id, attempts,
                             not_before, last_error, created_at)
VALUES (2, 'mention', 'pending', 1, 3, 4, 0, now(), '', now());
"""


@pytest_asyncio.fixture
async def old_database(database_server: str) -> AsyncIterator[str]:
    async with old_schema_with(database_server, "models.0018_security_round3", OLD_ROWS) as url:
        yield url


async def test_pending_email_and_push_rows_move_into_the_one_outbox(old_database: str) -> None:
    await migrate_in_child(old_database)
    found = await run_step("read_outbox", old_database)

    assert found["rows"] == [
        ["email", 2, "mention", "pending", 1, 3, 4, 2, "timed out", True],
        ["email", 2, "password_reset", "sent", None, None, None, 0, "", False],
        ["push", 2, "mention", "pending", 1, 3, 4, 0, "", False],
    ]
    assert "notifications" not in found["tables"]
    assert "push_deliveries" not in found["tables"]

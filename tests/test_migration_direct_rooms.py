"""Migration 0008: conversations written with the old schema are read back as direct rooms."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from app.models import RoomKind
from tests.database import migrate_in_child, old_schema_with, run_step

OLD_ROWS = """
INSERT INTO users (id, username, username_key, email, password_hash, email_notifications,
                   created_at)
VALUES (1, 'alice', 'alice', 'alice@example.com', 'x', true, now()),
       (2, 'bob', 'bob', 'bob@example.com', 'x', true, now()),
       (3, 'carol', 'carol', 'carol@example.com', 'x', true, now());
INSERT INTO rooms (name, topic, visibility, owner_id, last_seq, last_change_seq, created_at)
VALUES ('general', '', 'public', 1, 0, 0, now()), ('plans', '', 'private', 1, 0, 0, now());
INSERT INTO public_keys (id, user_id, algorithm, public_key, created_at)
VALUES (10, 1, 'X25519', 'alice-key', now()), (20, 2, 'X25519', 'bob-key', now());
INSERT INTO conversations (id, low_user_id, high_user_id, last_seq, low_read_seq, high_read_seq,
                           low_email_held, high_email_held, last_message_at, created_at)
VALUES (5, 1, 2, 2, 2, 1, false, true, now(), now());
INSERT INTO direct_messages (id, conversation_id, sender_id, seq, client_msg_id, ciphertext, iv,
                             salt, sender_key_id, recipient_key_id, created_at)
VALUES (7, 5, 1, 1, 'first-000000001', 'Y2lwaGVy', 'aXYtaXYtaXYtaXY', 'c2FsdA', 10, 20, now()),
       (8, 5, 2, 2, 'second-00000002', 'dGV4dA', 'aXYtaXYtaXYtaXY', 'c2FsdA', 20, 10, now());
INSERT INTO notifications (user_id, kind, status, actor_id, conversation_id, direct_message_id,
                           attempts, not_before, last_error, created_at)
VALUES (2, 'direct_message', 'pending', 1, 5, 7, 0, now(), '', now());
"""


@pytest_asyncio.fixture
async def old_database(database_server: str) -> AsyncIterator[str]:
    async with old_schema_with(database_server, "models.0007_chat_features", OLD_ROWS) as url:
        yield url


async def test_old_conversations_and_their_messages_become_direct_rooms(old_database: str) -> None:
    await migrate_in_child(old_database)
    found = await run_step("read", old_database)

    assert found["room"] == [RoomKind.DIRECT.value, "", 2]
    assert found["members"] == {"1": [2, False], "2": [1, True]}
    first, second = found["messages"]
    assert [m[1:5] for m in found["messages"]] == [
        [1, 1, "first-000000001", ""], [2, 2, "second-00000002", ""]]
    assert first[5] == {
        "v": 1, "conversation": 5, "sender_key": 10, "recipient": 2, "recipient_key": 20,
        "salt": "c2FsdA", "iv": "aXYtaXYtaXYtaXY", "ciphertext": "Y2lwaGVy"}
    assert second[5]["recipient"] == 1
    assert found["notification"] == [found["room_id"], first[0]]
    assert found["other_rooms"] == {"general": RoomKind.PUBLIC.value,
                                    "plans": RoomKind.PRIVATE.value}
    assert "conversations" not in found["tables"]
    assert "direct_messages" not in found["tables"]

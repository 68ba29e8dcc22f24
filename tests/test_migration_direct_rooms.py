"""Migration 0008: conversations written with the old schema are read back as direct rooms."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio
from tortoise import Tortoise
from tortoise.migrations.api import migrate

from app.db import asyncpg_dsn, start_orm, stop_orm, tortoise_config
from app.models import Membership, Message, Notification, Room, RoomKind
from app.queries.direct_rooms import find_direct_room
from tests.database import create_database, drop_database

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
    url = await create_database(database_server)
    try:
        await migrate(config=tortoise_config(url, pool_max=2), target="models.0007_chat_features")
        await Tortoise.close_connections()
        yield url
    finally:
        await drop_database(database_server, url)


async def test_old_conversations_and_their_messages_become_direct_rooms(old_database: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(old_database))
    try:
        await conn.execute(OLD_ROWS)
    finally:
        await conn.close()

    await migrate(config=tortoise_config(old_database, pool_max=2))
    await Tortoise.close_connections()
    await start_orm(old_database, pool_max=2)
    try:
        room = await find_direct_room([1, 2])
        members = {m.user_id: m for m in await Membership.filter(room_id=room.id)}
        messages = await Message.filter(room_id=room.id).order_by("seq")
        notification = await Notification.get(user_id=2)
        kinds = {r.name: r.kind for r in await Room.exclude(id=room.id)}
        tables = [r["tablename"] for r in await _tables()]
    finally:
        await stop_orm()

    assert (room.kind, room.name, room.last_seq) == (RoomKind.DIRECT, "", 2)
    assert {uid: (m.last_read_seq, m.email_held) for uid, m in members.items()} == {
        1: (2, False), 2: (1, True)}
    assert [(m.seq, m.author_id, m.client_msg_id, m.body) for m in messages] == [
        (1, 1, "first-000000001", ""), (2, 2, "second-00000002", "")]
    assert messages[0].envelope == {
        "v": 1, "conversation": 5, "sender_key": 10, "recipient": 2, "recipient_key": 20,
        "salt": "c2FsdA", "iv": "aXYtaXYtaXYtaXY", "ciphertext": "Y2lwaGVy"}
    assert messages[1].envelope["recipient"] == 1
    assert (notification.room_id, notification.message_id) == (room.id, messages[0].id)
    assert kinds == {"general": RoomKind.PUBLIC, "plans": RoomKind.PRIVATE}
    assert "conversations" not in tables and "direct_messages" not in tables


async def _tables() -> list[dict[str, str]]:
    from tortoise import connections

    return await connections.get("default").execute_query_dict(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")

"""Run one migration step in its own process, so the test session's ORM state is never touched.

Tortoise keeps one global configuration per process; migrating a second database (or reading it
through the ORM) from inside the test session would replace the session's. Tests call it
through tests/database.py (`run_step`, `migrate_in_child`) and read the JSON it prints.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from app.db import migrate_database, start_orm, stop_orm, tortoise_config
from app.models import Delivery, Membership, Message, Room
from app.queries.direct_rooms import find_direct_room


async def migrate_to(url: str, target: str | None) -> dict[str, Any]:
    if target is None:
        await migrate_database(url)  # what a starting server does
    else:
        await migrate(config=tortoise_config(url, pool_max=2), target=target)
        await Tortoise.close_connections()
    return {}


async def read_direct_rooms(url: str) -> dict[str, Any]:
    """What the new schema holds for the conversation between users 1 and 2."""
    await start_orm(url, pool_max=2)
    try:
        room = await find_direct_room([1, 2])
        members = await Membership.filter(room_id=room.id).order_by("user_id")
        messages = await Message.filter(room_id=room.id).order_by("seq")
        notification = await Delivery.emails().get(user_id=2)
        others = await Room.exclude(id=room.id).order_by("name")
        _, tables = await connections.get("default").execute_query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await stop_orm()
    return {
        "room": [room.kind.value, room.name, room.last_seq],
        "room_id": room.id,
        "members": {str(m.user_id): [m.last_read_seq, m.email_held] for m in members},
        "messages": [[m.id, m.seq, m.author_id, m.client_msg_id, m.body, m.envelope]
                     for m in messages],
        "notification": [notification.room_id, notification.message_id],
        "other_rooms": {r.name: r.kind.value for r in others},
        "tables": sorted(t["tablename"] for t in tables),
    }


async def read_outbox(url: str) -> dict[str, Any]:
    """The outbox rows of the new schema, in the order they were moved."""
    await start_orm(url, pool_max=2)
    try:
        rows = await Delivery.all().order_by("id")
        _, tables = await connections.get("default").execute_query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        _, later = await connections.get("default").execute_query(
            "SELECT id FROM deliveries WHERE not_before > now() ORDER BY id")
    finally:
        await stop_orm()
    waiting = {r["id"] for r in later}
    return {
        "rows": [[r.channel.value, r.user_id, r.kind.value, r.status.value, r.actor_id,
                  r.room_id, r.message_id, r.attempts, r.last_error, r.id in waiting]
                 for r in rows],
        "tables": sorted(t["tablename"] for t in tables),
    }


def main() -> None:
    step, url, *rest = sys.argv[1:]
    if step == "migrate":
        result = asyncio.run(migrate_to(url, rest[0] if rest else None))
    elif step == "read":
        result = asyncio.run(read_direct_rooms(url))
    elif step == "read_outbox":
        result = asyncio.run(read_outbox(url))
    else:
        raise SystemExit(f"unknown step {step!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Archiving rooms (hidden from everyone, history kept) and bringing them back."""

from __future__ import annotations

from datetime import UTC, datetime

from app.models import Room


async def archive_room(room: Room) -> None:
    """Hide the room from lists, pages and sockets; its messages and members are kept."""
    if room.archived_at is None:
        room.archived_at = datetime.now(UTC)
        await room.save(update_fields=["archived_at"])


async def unarchive_room(room: Room) -> None:
    """Bring an archived room back as it was."""
    room.archived_at = None
    await room.save(update_fields=["archived_at"])

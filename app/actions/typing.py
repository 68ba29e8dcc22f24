"""Typing notices: announced on the bus, never stored; never for an archived room."""

from __future__ import annotations

from app.models import Room, User
from app.realtime.events import Typing
from app.realtime.publish import publish


async def announce_typing(room: Room | int, user: User, stopped: bool = False) -> bool:
    """Tell the room's viewers that `user` is (or stopped) typing; False, and nothing told,
    when the room is archived (sockets opened before the archiving may still be reading it)."""
    room_id = room if isinstance(room, int) else room.id
    if not await Room.filter(id=room_id, archived_at=None).exists():
        return False
    await publish(Typing(room_id=room_id, user_id=user.id, username=user.username,
                         stopped=stopped))
    return True

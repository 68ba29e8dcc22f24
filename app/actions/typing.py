"""Typing notices: announced on the bus, never stored."""

from __future__ import annotations

from app.models import Room, User
from app.realtime.events import Typing
from app.realtime.publish import publish


async def announce_typing(room: Room | int, user: User, stopped: bool = False) -> None:
    """Tell the room's viewers that `user` is (or stopped) typing."""
    room_id = room if isinstance(room, int) else room.id
    await publish(Typing(room_id=room_id, user_id=user.id, username=user.username,
                         stopped=stopped))


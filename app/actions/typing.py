"""Typing notices: announced on the bus, never stored."""

from __future__ import annotations

from app.models import Room, User
from app.realtime.events import DirectTyping, Typing
from app.realtime.publish import publish


async def announce_typing(room: Room | int, user: User, stopped: bool = False) -> None:
    """Tell the room's viewers that `user` is (or stopped) typing."""
    room_id = room if isinstance(room, int) else room.id
    await publish(Typing(room_id=room_id, user_id=user.id, username=user.username,
                         stopped=stopped))


async def announce_direct_typing(conversation_id: int, user: User, recipient_id: int,
                                 stopped: bool = False) -> None:
    """Tell the other participant of a private conversation that `user` is typing."""
    await publish(DirectTyping(conversation_id=conversation_id, user_id=user.id,
                               username=user.username, recipient_id=recipient_id,
                               stopped=stopped))

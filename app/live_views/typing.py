"""Typing notices on screen: each viewer sees the others who type, never themselves."""

from __future__ import annotations

from collections.abc import Hashable

from app.live_views import frames
from app.live_views.state import Live, Socket
from app.realtime.events import Typing
from app.rendering import dom_id_for, typing_sentence


def room_scope(room_id: int) -> tuple[str, int]:
    """The typing scope of a room (private conversations are rooms too)."""
    return ("room", room_id)


async def room_typing(event: Typing, conns: list[Socket], live: Live, _: None) -> None:
    scope = room_scope(event.room_id)
    if live.typing.update(scope, event):
        await push_typing(live, scope, dom_id_for("room", event.room_id, "typing"),
                          [c for c in conns if c.room_id == event.room_id])


async def push_typing(live: Live, scope: Hashable, typing_id: str,
                      viewers: list[Socket]) -> None:
    """Send the notice: one render per distinct viewer group (typists see the others)."""
    rendered: dict[int | None, str] = {}
    for conn in viewers:
        key = conn.user_id if live.typing.is_typing(scope, conn.user_id) else None
        if key not in rendered:
            rendered[key] = await frames.render(
                "rooms/_typing.html", typing_id=typing_id,
                sentence=typing_sentence(live.typing.names(scope, key)), oob=True)
        conn.push(rendered[key])

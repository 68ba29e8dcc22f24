"""Keys on screen: a member of a direct room hears at once that someone in it has a key."""

from __future__ import annotations

from app.live_views import frames
from app.live_views.state import Live, Socket
from app.realtime.events import KeyPublished
from app.rendering import dom_id_for


async def key_published(event: KeyPublished, conns: list[Socket], live: Live,
                        _: None) -> None:
    """The notice above the conversation (static/js/e2e/room.js then fetches the keys again)."""
    viewers = [c for c in conns if c.room_id == event.room_id]
    if not viewers:
        return
    frame = await frames.render("direct/_key_notice.html",
                                notice_id=dom_id_for("room", event.room_id, "key-notice"),
                                owner_id=event.owner_id, username=event.username,
                                first=event.first, oob=True)
    for conn in viewers:
        conn.push(frame)

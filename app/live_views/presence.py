"""Presence dots that follow people: a person came online or went offline, and the member
lists on screen that show them change their dot (one fragment, rendered once)."""

from __future__ import annotations

from app.live_views import frames
from app.live_views.state import Live, Socket
from app.queries.members import room_ids_of
from app.realtime.events import PresenceChanged


async def presence_changed(event: PresenceChanged, _conns: list[Socket], live: Live,
                           _: None) -> None:
    if not any(conn.room_id is not None for conn in live.registry.all()):
        return  # no member list on screen in this process
    # Not to the person's own tabs: their page shows them online already.
    viewers = [conn for room_id in await room_ids_of(event.user_id)
               for conn in live.registry.viewers(room_id) if conn.user_id != event.user_id]
    if not viewers:
        return
    frame = await frames.render("rooms/_presence.html", user_id=event.user_id,
                                online=event.online, oob=True)
    for conn in viewers:
        conn.push(frame)

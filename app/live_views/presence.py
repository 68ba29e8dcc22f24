"""Presence dots that follow people: a person came online or went offline, and the member
lists on screen that show them change their dot (one fragment, rendered once)."""

from __future__ import annotations

from app.live_views import frames
from app.live_views.state import Live, Socket
from app.queries.members import member_ids, room_ids_of
from app.queries.presence import online_user_ids
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


# A member list longer than this gets no snapshot: a big room's dots are a live view's nicety
# not worth a query and a long frame for every tab that connects.
SNAPSHOT_MAX_MEMBERS = 200


async def presence_snapshot(room_id: int) -> str:
    """Every member's dot as it is now, for a socket that just opened in the room: whoever came
    or went between the page's render and the socket's registration is shown right, not only
    after a reload. Empty for a room of more than SNAPSHOT_MAX_MEMBERS members."""
    ids = await member_ids(room_id, limit=SNAPSHOT_MAX_MEMBERS + 1)
    if not ids or len(ids) > SNAPSHOT_MAX_MEMBERS:
        return ""
    online = await online_user_ids(ids)
    return await frames.render("rooms/_presence_snapshot.html", user_ids=ids, online=online)

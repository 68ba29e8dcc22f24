"""The sidebar's "Threads" count: re-counted for a person when their followed threads change."""

from __future__ import annotations

from app.live_views import frames
from app.live_views.state import Live, Socket
from app.queries.threads import unread_thread_count
from app.realtime.events import ThreadsChanged


async def threads_changed(event: ThreadsChanged, conns: list[Socket], live: Live,
                          _: None) -> None:
    """Each affected person's count, counted once per person on this process."""
    counts: dict[int, str] = {}
    for conn in conns:
        if conn.user_id not in counts:
            counts[conn.user_id] = await frames.render(
                "threads/_sidebar_count.html", unread_threads=await unread_thread_count(
                    conn.user_id), oob=True)
        conn.push(counts[conn.user_id])

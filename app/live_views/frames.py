"""Pushed fragments: rendered with no request behind them, sent as top-level OOB elements."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from quart import current_app

from app.rendering import render_fragment


async def render(template: str, **context: Any) -> str:
    """A viewer-independent fragment for a socket; its links are paths built from the URL map
    (there is no request to make them absolute from, and a path is all a page needs)."""
    return await render_fragment(template, url_for=_path_for, **context)


# The first frame of every socket, pushed once the process routes the socket's rooms to it: the
# page catches up from the table on this frame, not on the socket's open, so a message
# committed between the two is fetched rather than missed (static/js/live.js).
READY = '<div id="live-ready" hidden></div>'


# Fragments of messages this process rendered lately, for the one other use of the same message
# state here: a post's answer to its poster and the fan-out to the sockets, in either order.
RECENT_FRAGMENTS = 256


async def message_fragment(message: Any) -> str:
    """templates/messages/_message.html for `message` (viewer-independent), rendered once for
    the poster's answer and the sockets of this process: whichever comes first renders and
    keeps it, the second takes it. The key holds the row's creation time, so an id used again
    (the tests empty the tables and restart ids) is never taken for another message.
    """
    recent: OrderedDict[tuple[Any, ...], str] = current_app.extensions.setdefault(
        "recent_fragments", OrderedDict())
    key = (message.id, message.created_at, message.change_seq)
    html = recent.pop(key, None)
    if html is None:
        html = recent[key] = await render("messages/_message.html", message=message)
        while len(recent) > RECENT_FRAGMENTS:
            recent.popitem(last=False)
    return html


def append(target_id: str, html: str) -> str:
    """A frame that appends `html` inside the element `target_id`."""
    return f'<div id="{target_id}" hx-swap-oob="beforeend">{html}</div>'


def _path_for(endpoint: str, **values: Any) -> str:
    return current_app.url_map.bind("").build(endpoint, values)

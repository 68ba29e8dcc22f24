"""Pushed fragments: rendered with no request behind them, sent as top-level OOB elements."""

from __future__ import annotations

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


def append(target_id: str, html: str) -> str:
    """A frame that appends `html` inside the element `target_id`."""
    return f'<div id="{target_id}" hx-swap-oob="beforeend">{html}</div>'


def _path_for(endpoint: str, **values: Any) -> str:
    return current_app.url_map.bind("").build(endpoint, values)

"""WebSocket frames: top-level elements with an id and an explicit hx-swap-oob (htmx 2 and 4)."""

from __future__ import annotations


def append(target_id: str, html: str) -> str:
    """A frame that appends `html` inside the element `target_id`."""
    return f'<div id="{target_id}" hx-swap-oob="beforeend">{html}</div>'

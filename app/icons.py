"""Parley's icons: one SVG sprite of Lucide icons (ISC licence), assembled at set-up from the
pinned npm `lucide-static` by scripts/icon-sprite into static/vendor/icons.svg (not committed),
and `icon("reply")` in templates, which draws one with `<svg><use href=...#reply>`.

The sprite is a static file under the versioned URL, so a page's icons are one request, cached
for good; `currentColor` strokes follow the text colour (light and dark alike) and nothing needs
an inline style (the CSP forbids them).
"""

from __future__ import annotations

from markupsafe import Markup, escape
from quart import current_app

from app.static_files import tree_of

SPRITE = "vendor/icons.svg"

# Our name -> the Lucide icon drawn for it.
ICONS = {
    "reply": "reply", "thread": "messages-square", "react": "smile-plus", "edit": "pencil",
    "delete": "trash-2", "link": "link", "more": "ellipsis", "menu": "ellipsis-vertical",
    "attach": "paperclip", "send": "send-horizontal", "emoji": "smile", "everything": "bell",
    "mentions": "at-sign", "nothing": "bell-off", "invisible": "eye-off", "webhook": "webhook",
    "download": "download", "leave": "log-out", "details": "panel-right", "members": "users",
    "search": "search", "check": "check",
}


def icon(name: str, label: str = "") -> Markup:
    """An inline SVG drawing icon `name` from the sprite; decorative unless given a `label`."""
    if name not in ICONS:
        raise KeyError(f"no icon named {name!r} (app/icons.py ICONS)")
    href = f"{current_app.static_url_path}/{tree_of(current_app).version}/{SPRITE}#{name}"
    said = (f' role="img" aria-label="{escape(label)}"' if label
            else ' aria-hidden="true" focusable="false"')
    return Markup(f'<svg class="icon icon-{name}" width="18" height="18"{said}>'
                  f'<use href="{href}"></use></svg>')

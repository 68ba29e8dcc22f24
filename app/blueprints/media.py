"""Serving stored media: only to people allowed to see it, never from a path the user chose."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, send_file

from app.access import find_viewable_media
from app.actions.errors import NotFound
from app.auth import login_required, require_account
from app.media.storage import media_path
from config.settings import current_settings

blueprint = Blueprint("media", __name__)

# An image opened on its own is a document: give it no power to run or load anything.
MEDIA_CSP = "default-src 'none'; img-src 'self'; sandbox"


@blueprint.get("/media/<key>")
@login_required
async def show(key: str) -> Any:
    user = await require_account()
    media = await find_viewable_media(user, key)
    path = media_path(current_settings().media_dir, key)
    if not path.is_file():
        raise NotFound()
    response = await send_file(path, mimetype=media.content_type, conditional=True)
    # Private, and revalidated on every use (a cheap 304), so losing access takes effect at once.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers.pop("Expires", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{key}.{media.format.lower()}"'
    response.headers["Content-Security-Policy"] = MEDIA_CSP
    return response

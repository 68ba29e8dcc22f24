"""Serving stored media: only to people allowed to see it, never from a path the user chose."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from app.access import find_viewable_media
from app.auth import login_required, require_account
from app.media.serving import stored_file_response

blueprint = Blueprint("media", __name__)

# An image opened on its own is a document: give it no power to run or load anything.
MEDIA_CSP = "default-src 'none'; img-src 'self'; sandbox"


@blueprint.get("/media/<key>")
@login_required
async def show(key: str) -> Any:
    user = await require_account()
    media = await find_viewable_media(user, key)
    return await stored_file_response(
        key, mimetype=media.content_type, csp=MEDIA_CSP,
        disposition=f'inline; filename="{key}.{media.format.lower()}"')

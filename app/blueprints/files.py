"""Downloading attached files: only for people allowed to see them, never shown inline."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, send_file

from app.access import find_viewable_attachment
from app.actions.errors import NotFound
from app.auth import login_required, require_account
from app.media.files import content_disposition
from app.media.storage import media_path
from config.settings import current_settings

blueprint = Blueprint("files", __name__)

# Whatever the file holds, a browser that opens it anyway may run or load nothing.
FILE_CSP = "default-src 'none'; sandbox"


@blueprint.get("/files/<file_key>")
@login_required
async def download(file_key: str) -> Any:
    user = await require_account()
    attachment = await find_viewable_attachment(user, file_key)
    path = media_path(current_settings().media_dir, file_key)
    if not path.is_file():
        raise NotFound()
    # Never the guessed type: an HTML or SVG file served as itself would run in our origin.
    response = await send_file(path, mimetype="application/octet-stream", conditional=True)
    response.headers["Content-Disposition"] = content_disposition(attachment.name)
    # Private, and revalidated on every use (a cheap 304), so losing access takes effect at once.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers.pop("Expires", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response

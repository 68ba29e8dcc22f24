"""Answering with a stored file: private, revalidated, never sniffed, under a locked-down CSP."""

from __future__ import annotations

from quart import Response, send_file

from app.errors import NotFound
from app.media.storage import media_path
from config.settings import current_settings


async def stored_file_response(key: str, *, mimetype: str, disposition: str,
                               csp: str) -> Response:
    """The file stored under `key` (the caller has checked who may see it), or 404."""
    path = media_path(current_settings().media_dir, key)
    if not path.is_file():
        raise NotFound()
    response = await send_file(path, mimetype=mimetype, conditional=True)
    # Private, and revalidated on every use (a cheap 304), so losing access takes effect at once.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers.pop("Expires", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = disposition
    response.headers["Content-Security-Policy"] = csp
    return response

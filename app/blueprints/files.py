"""Downloading attached files: only for people allowed to see them, never shown inline."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from app.access import find_viewable_attachment
from app.auth import login_required, require_account
from app.media.files import content_disposition
from app.media.serving import stored_file_response

blueprint = Blueprint("files", __name__)

# Whatever the file holds, a browser that opens it anyway may run or load nothing.
FILE_CSP = "default-src 'none'; sandbox"


@blueprint.get("/files/<file_key>")
@login_required
async def download(file_key: str) -> Any:
    user = await require_account()
    attachment = await find_viewable_attachment(user, file_key)
    # Never the guessed type: an HTML or SVG file served as itself would run in our origin.
    return await stored_file_response(file_key, mimetype="application/octet-stream",
                                      disposition=content_disposition(attachment.name),
                                      csp=FILE_CSP)

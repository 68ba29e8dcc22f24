"""Attached files: downloading them (only for people allowed to see them, never shown inline),
and storing the encrypted files of private conversations (app/actions/sealed_files.py)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.access import find_viewable_attachment, require_direct_member
from app.actions.sealed_files import store_sealed_file
from app.auth import login_required, require_account
from app.blueprints import read_upload, require_upload_allowance, upload_too_large
from app.errors import DomainError
from app.media.files import content_disposition
from app.media.serving import stored_file_response
from app.media.uploads import media_settings
from config.settings import current_settings

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


@blueprint.post("/rooms/<int:room_id>/files")
@login_required
async def upload_sealed(room_id: int) -> Any:
    """One encrypted blob (the multipart field "blob") for a direct room's members: answers
    201 {"key": …}, the key a sealed message names it by, or {"error": …} saying why not."""
    user = await require_account()
    room, _ = await require_direct_member(user, room_id)
    files = await request.files
    try:
        await require_upload_allowance(user, "blob")
        attachment = await store_sealed_file(room, user, await read_upload(files.get("blob")),
                                             media_settings(current_settings()))
    except DomainError as exc:
        return jsonify({"error": str(exc)}), exc.status
    return jsonify({"key": attachment.key}), 201


@blueprint.errorhandler(RequestEntityTooLarge)
async def sealed_file_too_large(_error: RequestEntityTooLarge) -> Any:
    """413 with the limit spelled out, for the composer to show."""
    return jsonify({"error": upload_too_large()}), 413

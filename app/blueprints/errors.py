"""Error responses that say more than the generic page: an upload over the size limit."""

from __future__ import annotations

from typing import Any

from quart import render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.auth import current_account
from app.blueprints import is_htmx
from app.blueprints.profile import render_profile_page
from app.media.uploads import format_bytes
from app.security import UPLOAD_ENDPOINTS
from config.settings import current_settings


async def request_too_large(_error: RequestEntityTooLarge) -> Any:
    """413 with the limit spelled out, next to the form that sent it when there is one."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        limit = format_bytes(current_settings().upload_max_bytes)
        text = f"That file is too large: the limit is {limit}."
    else:
        text = "That request is too large."
    if request.endpoint == "messages.post" and is_htmx():
        html = await render_template("messages/_composer_error.html", errors={"image": text})
        return html, 413, {"HX-Retarget": "#composer-error", "HX-Reswap": "innerHTML",
                           "Vary": "HX-Request"}
    user = await current_account()
    if request.endpoint == "profile.update_photo" and user is not None:
        return await render_profile_page(user, {"avatar": text}, 413)
    return await render_template("errors/error.html", code=413, message=text), 413

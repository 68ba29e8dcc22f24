"""People search: the suggestions behind the invite field's search-as-you-type."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app, request

from app.auth import login_required, require_account
from app.errors import RateLimited
from app.queries.users import usernames_starting_with
from app.rendering import render_fragment

blueprint = Blueprint("users", __name__)
NO_STORE = {"Cache-Control": "private, no-store"}
SLOW_DOWN = "You are looking people up very fast. Wait a minute, then try again."


@blueprint.get("/users/search")
@login_required
async def search() -> Any:
    user = await require_account()
    if not current_app.extensions["people_search_limiter"].allow(user.id):
        raise RateLimited(SLOW_DOWN)
    # `q` from a link or script; `username` when the invite field itself sends its value.
    prefix = request.args.get("q") or request.args.get("username", "")
    names = await usernames_starting_with(prefix[:32], excluding=user)
    return await render_fragment("users/_suggestions.html", usernames=names), 200, NO_STORE

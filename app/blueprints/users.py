"""People search: the suggestions behind the invite field's search-as-you-type."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, request

from app.auth import login_required, require_account
from app.queries.users import usernames_starting_with
from app.rendering import render_fragment

blueprint = Blueprint("users", __name__)


@blueprint.get("/users/search")
@login_required
async def search() -> Any:
    user = await require_account()
    # `q` from a link or script; `username` when the invite field itself sends its value.
    prefix = request.args.get("q") or request.args.get("username", "")
    names = await usernames_starting_with(prefix[:32], excluding=user)
    return await render_fragment("users/_suggestions.html", usernames=names), 200, \
        {"Cache-Control": "private, no-store"}

"""Searching the messages of every room the user may read."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, render_template, request

from app.auth import login_required, require_account
from app.queries.search import search_messages, searchable_rooms

blueprint = Blueprint("search", __name__)


@blueprint.get("/search")
@login_required
async def index() -> Any:
    user = await require_account()
    query = request.args.get("q", "")[:500]
    room_id = request.args.get("room", type=int)
    author = request.args.get("author", "")[:32]
    hits = await search_messages(user, query, room_id, author or None)
    return await render_template("search/index.html", query=query, room_id=room_id,
                                 author=author, hits=hits, rooms=await searchable_rooms(user))

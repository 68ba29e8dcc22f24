"""Searching the messages of every room the user may read."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app

from app.auth import login_required, require_account
from app.blueprints import int_arg, text_arg
from app.errors import DomainError, RateLimited
from app.queries.search import search_messages, searchable_rooms
from app.rendering import render_page

blueprint = Blueprint("search", __name__)
SLOW_DOWN = "You are searching very fast. Wait a minute, then try again."


@blueprint.get("/search")
@login_required
async def index() -> Any:
    user = await require_account()
    query = text_arg("q", 500)
    room_id = int_arg("room")
    author = text_arg("author", 32)
    page = {"query": query, "room_id": room_id, "author": author,
            "rooms": await searchable_rooms(user)}
    try:
        if query.strip() and not current_app.extensions["search_limiter"].allow(user.id):
            raise RateLimited(SLOW_DOWN, field="q")
        hits = await search_messages(user, query, current_app.extensions["search_slots"],
                                     room_id, author or None)
    except DomainError as exc:
        return await render_page("search/index.html", hits=[], error=exc.message,
                                     **page), exc.status
    return await render_page("search/index.html", hits=hits, error=None, **page)

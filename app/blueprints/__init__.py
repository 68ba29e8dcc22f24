"""HTTP and WebSocket routes: thin handlers that parse, authorize, call one action, respond."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from quart import current_app, request
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter
from werkzeug.routing.exceptions import RoutingException

from app.errors import InvalidInput, RateLimited
from app.media.uploads import UploadedFile, format_bytes
from app.queries.records import User
from app.security import throttle
from config.settings import current_settings

INT_MAX = 2**31 - 1  # ids and sequence numbers are PostgreSQL integers
# Each image costs seconds of a worker thread and each file disk space: one person cannot keep
# both workers busy or fill the disk at request speed.
UPLOADS_PER_WINDOW, UPLOAD_WINDOW = 30, timedelta(minutes=10)
UPLOADS_TOO_FAST = "You are uploading files very fast. Wait a few minutes, then try again."


def is_htmx() -> bool:
    """True for requests made by htmx (they get fragments instead of redirects)."""
    return request.headers.get("HX-Request") == "true"


def refusal_status() -> int:
    """The status for a form re-shown with errors: 422 for htmx (its config swaps 422), else 400."""
    return 422 if is_htmx() else 400


# Where a log-in may send someone back to: pages a person opens, never a fragment, a feed or a
# file a page fetches (a tab sent to /login by a catch-up request would land on bare HTML).
PAGE_ENDPOINTS = frozenset({
    "rooms.home", "rooms.index", "rooms.show", "dm.index", "dm.show", "search.index",
    "profile.show", "admin.show", "webhooks.index", "keys.backups", "help.javascript",
    "message_changes.edit", "message_changes.revisions", "threads.show", "threads.index",
})


def safe_next(target: str | None, default: str = "/rooms") -> str:
    """A same-site page to go to after login; anything else falls back to `default`.

    Browsers drop tabs and newlines from URLs, so "/\t/evil.example" would be read as
    "//evil.example": any control character refuses the target, and the result is rebuilt
    from its parsed path, query and fragment, never passed through as typed. A path that is
    not a page (a room's message feed, an export, a file) leads to its room's page, or to
    `default` when it belongs to no room.
    """
    if not target or "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or \
            parts.path.startswith("//"):
        return default
    adapter = current_app.url_map.bind("")
    try:
        endpoint, args = adapter.match(parts.path, method="GET")
    except (HTTPException, RoutingException):  # no such page (or not one to GET)
        return default
    if endpoint in PAGE_ENDPOINTS:
        return urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    if "room_id" in args:
        return adapter.build("rooms.show", {"room_id": args["room_id"]})
    return default


async def read_upload(upload: FileStorage | None) -> bytes | None:
    """The bytes of an uploaded file, or None when the file field was left empty."""
    if upload is None or not upload.filename:
        return None
    return await asyncio.to_thread(upload.read)


async def read_file_upload(upload: FileStorage | None) -> UploadedFile | None:
    """The name and bytes of an uploaded file, or None when the file field was left empty."""
    data = await read_upload(upload)
    if upload is None or data is None:
        return None
    return UploadedFile(upload.filename or "", data)


def upload_too_large() -> str:
    """What an upload form says when the request body is over the limit."""
    limit = format_bytes(current_settings().upload_max_bytes)
    return f"That file is too large: the limit is {limit}."


class DatabaseIntConverter(IntegerConverter):
    """`<int:…>` in routes: ASCII digits only (werkzeug's \\d also matches "٤", which int()
    reads as 4, so /rooms/٤ served room 4), at most INT_MAX, so a huge id is a 404, not a
    database error."""

    regex = r"[0-9]+"

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = INT_MAX, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def int_arg(name: str, args: MultiDict[str, str] | None = None) -> int | None:
    """A whole-number query argument: None when absent or empty, InvalidInput when it is not a
    number from 0 to INT_MAX (a bigger one would overflow the database's integers)."""
    value = (request.args if args is None else args).get(name, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdecimal()) or len(value) > 10 or int(value) > INT_MAX:
        raise InvalidInput({name: f"“{name}” must be a whole number from 0 to {INT_MAX}."})
    return int(value)


def text_arg(name: str, max_chars: int) -> str:
    """A text query argument, cut to `max_chars` (NUL bytes are refused before any route)."""
    return request.args.get(name, "")[:max_chars]


async def require_upload_allowance(user: User, field: str) -> None:
    """RateLimited (429, said next to `field`) once `user` sent too many files lately."""
    if not await throttle(f"upload-user:{user.id}", UPLOADS_PER_WINDOW, UPLOAD_WINDOW):
        raise RateLimited(UPLOADS_TOO_FAST, field=field)

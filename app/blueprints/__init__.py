"""HTTP and WebSocket routes: thin handlers that parse, authorize, call one action, respond."""

from __future__ import annotations

import asyncio

from quart import request
from werkzeug.datastructures import FileStorage


def is_htmx() -> bool:
    """True for requests made by htmx (they get fragments instead of redirects)."""
    return request.headers.get("HX-Request") == "true"


def refusal_status() -> int:
    """The status for a form re-shown with errors: 422 for htmx (its config swaps 422), else 400."""
    return 422 if is_htmx() else 400


def safe_next(target: str | None, default: str = "/rooms") -> str:
    """A same-site path to go to after login; anything else falls back to `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


async def read_upload(upload: FileStorage | None) -> bytes | None:
    """The bytes of an uploaded file, or None when the file field was left empty."""
    if upload is None or not upload.filename:
        return None
    return await asyncio.to_thread(upload.read)

"""The one place refusals become HTTP responses: domain errors, HTTP errors and bugs.

Domain errors (app/errors.py) carry their status and message; werkzeug's HTTP errors
(routing, `abort`) carry theirs. Both become the error page, or the bare message for htmx.
Forms that show a refusal next to a field catch the domain error in their own route.
"""

from __future__ import annotations

import logging
from typing import Any

from quart import Quart, has_request_context, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from app.errors import DomainError

log = logging.getLogger("parley.errors")
UNEXPECTED = "Parley hit an unexpected error. It was logged; please try again."


def register_error_handlers(app: Quart) -> None:
    """Map every refusal to a response, in this one module."""
    app.errorhandler(DomainError)(domain_error)
    app.errorhandler(HTTPException)(http_error)
    # Upload forms (messages, profile) say the file limit next to the form: their blueprints
    # register their own handler for this, which Quart prefers over this one.
    app.errorhandler(RequestEntityTooLarge)(request_too_large)


async def domain_error(error: DomainError) -> Any:
    """A refusal an action or access check raised: its status and its reason."""
    return await error_response(error.status, error.message)


async def http_error(error: HTTPException) -> Any:
    """Routing errors, `abort()` and bugs (500, whose details are never shown)."""
    code = error.code or 500
    message = error.description or error.name
    if isinstance(error, InternalServerError) or code >= 500:
        message = UNEXPECTED
    return await error_response(code, message)


async def request_too_large(_error: RequestEntityTooLarge) -> Any:
    """A body over the limit of a form without uploads."""
    return await error_response(413, "That request is too large.")


async def error_response(code: int, message: str) -> Any:
    """The error page, or just the sentence for htmx and static files."""
    if not has_request_context():  # a WebSocket: stream.py closes it with a code instead
        return message, code
    if request.headers.get("HX-Request") == "true" or request.path.startswith("/static"):
        return message, code
    html = await render_template("errors/error.html", code=code, message=message)
    return html, code

"""The webhook URL scripts POST to: Slack-style payloads in, a bot's message out.

The body is read as Slack reads it: JSON whatever the Content-Type says (scripts and
alerting tools often send text/plain or curl's form default), Slack's legacy form field
`payload=<json>`, or a form field `text`. app/slack_payload.py turns it into Markdown.

No session and no CSRF token (security.CSRF_EXEMPT_ENDPOINTS): the secret URL is the
permission, and it can do one thing only, post a message as its webhook's bot. Answers are
plain text, as Slack's are, for the scripts and CI jobs that read them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quart import Blueprint, abort, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.access import find_webhook_by_token
from app.actions.webhooks import post_webhook_payload
from app.errors import DomainError, InvalidInput
from app.json_input import UnreadableJson, read_json
from app.security import throttle
from app.slack_payload import PayloadRefused
from config.settings import current_settings

blueprint = Blueprint("hooks", __name__)

PAYLOAD_MAX_BYTES = 64 * 1024  # ten thousand characters of text, escaped, fit easily
POSTS_PER_MINUTE = 60  # per webhook, like Slack's "about one per second" with room for bursts
PLAIN = {"Content-Type": "text/plain; charset=utf-8"}


@blueprint.post("/hooks/<token>")
async def deliver(token: str) -> Any:
    webhook = await find_webhook_by_token(token)
    if not await throttle(f"webhook:{webhook.id}", POSTS_PER_MINUTE, timedelta(minutes=1)):
        return "rate_limited: at most 60 posts a minute.\n", 429, {**PLAIN, "Retry-After": "60"}
    payload = await _payload()
    try:
        await post_webhook_payload(webhook, payload, current_settings())
    except PayloadRefused as exc:
        return f"{exc.code}: {exc}\n", 400, PLAIN
    except InvalidInput as exc:
        return f"invalid_payload: {exc}\n", 400, PLAIN
    return "ok", 200, PLAIN


@blueprint.errorhandler(RequestEntityTooLarge)  # the app has its own page for this one
@blueprint.errorhandler(HTTPException)
async def plain_error(error: HTTPException) -> Any:
    """Refusals (400 bad payload, 413 too big) as one line of text, not a page."""
    return f"{error.description or error.name}\n", error.code or 500, PLAIN


@blueprint.errorhandler(DomainError)
async def plain_refusal(error: DomainError) -> Any:
    """404 unknown URL, 410 revoked or archived: one line of text."""
    return f"{error.message}\n", error.status, PLAIN


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def _payload() -> dict[str, Any]:
    """Slack's payload from a JSON body (any content type), a form's `payload`, or `text`."""
    # The app already holds every body to FORM_MAX_BYTES; a webhook's is held to less.
    raw = await request.get_data(cache=True, as_text=False, parse_form_data=False)
    if (request.content_length or 0) > PAYLOAD_MAX_BYTES or len(raw) > PAYLOAD_MAX_BYTES:
        abort(413, f"payload_too_large: at most {PAYLOAD_MAX_BYTES // 1024} KiB.")
    body = raw.decode("utf-8", errors="replace")
    if body.lstrip().startswith(("{", "[")) or request.mimetype == "application/json":
        return _json(body)
    if request.mimetype in FORMS:
        form = await request.form
        return _json(form["payload"]) if "payload" in form else {"text": form.get("text")}
    abort(400, 'invalid_payload: the body is not JSON. Send {"text": "..."} (any Content-Type), '
               "or a form with a field named payload (JSON) or text.")


def _json(raw: str) -> dict[str, Any]:
    try:
        payload = read_json(raw)
    except UnreadableJson as exc:
        abort(400, f"invalid_payload: {exc}")
    if not isinstance(payload, dict):
        abort(400, 'invalid_payload: send a JSON object like {"text": "..."}.')
    return payload

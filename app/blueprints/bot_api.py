"""A bot's API: list its rooms, read a room's recent messages, post into a room it is in.

`Authorization: Bearer <key>` (the key the admin page showed once) is the permission; these
are not cookie routes, so no session and no CSRF token (security.CSRF_EXEMPT_ENDPOINTS).
Answers are JSON, Slack-like: `{"ok": true, ...}`, or `{"ok": false, "error": "<why>"}` with
401 (bad or rotated key), 403 (a room the bot is not in), 404 (no such room), 400 (bad JSON or
payload, saying why), 413 (too big), 429 (too many posts).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quart import Blueprint, abort, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.access import find_bot_by_key, require_bot_room
from app.actions.bots import post_as_bot
from app.errors import DomainError
from app.json_input import UnreadableJson, read_json
from app.queries.bots import READ_LIMIT_DEFAULT, READ_LIMIT_MAX, bot_rooms, recent_messages
from app.security import throttle
from app.slack_payload import PayloadRefused
from config.settings import current_settings

blueprint = Blueprint("bot_api", __name__)

PAYLOAD_MAX_BYTES = 64 * 1024
POSTS_PER_MINUTE = 60  # per bot, as for webhooks
READS_PER_MINUTE = 120


@blueprint.get("/api/bot/rooms")
async def list_rooms() -> Any:
    bot = await _bot(READS_PER_MINUTE)
    return {"ok": True, "rooms": await bot_rooms(bot)}


@blueprint.get("/api/bot/rooms/<int:room_id>/messages")
async def read_messages(room_id: int) -> Any:
    bot = await _bot(READS_PER_MINUTE)
    room = await require_bot_room(bot, room_id)
    return {"ok": True, "messages": await recent_messages(room, _limit())}


@blueprint.post("/api/bot/rooms/<int:room_id>/messages")
async def post_message(room_id: int) -> Any:
    bot = await _bot(POSTS_PER_MINUTE)
    room = await require_bot_room(bot, room_id)
    payload = await _payload()
    message = await post_as_bot(bot, room, payload, current_settings())
    return {"ok": True, "message": {"id": message.id, "seq": message.seq,
                                    "room_id": room.id, "text": message.body}}, 201


@blueprint.errorhandler(PayloadRefused)
async def payload_refused(error: PayloadRefused) -> Any:
    """Slack's words for a payload it would refuse, and why."""
    return {"ok": False, "error": error.code, "detail": str(error)}, 400


@blueprint.errorhandler(DomainError)
async def refused(error: DomainError) -> Any:
    """401, 403, 404, 400 (a body too long, ...) as JSON."""
    return {"ok": False, "error": error.message}, error.status


@blueprint.errorhandler(RequestEntityTooLarge)  # the app has its own page for this one
@blueprint.errorhandler(HTTPException)
async def http_error(error: HTTPException) -> Any:
    """400 bad JSON, 413 too big, 429, 405 ... as JSON, never a page."""
    return {"ok": False, "error": error.description or error.name}, error.code or 500


async def _bot(per_minute: int) -> Any:
    bot = await find_bot_by_key(request.headers.get("Authorization", ""))
    if not await throttle(f"bot:{bot.id}:{per_minute}", per_minute, timedelta(minutes=1)):
        abort(429, f"rate_limited: at most {per_minute} requests a minute.")
    return bot


def _limit() -> int:
    raw = request.args.get("limit", "")
    if not raw:
        return READ_LIMIT_DEFAULT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= READ_LIMIT_MAX:
        abort(400, f"invalid_limit: limit is a whole number from 1 to {READ_LIMIT_MAX}.")
    return int(raw)


async def _payload() -> dict[str, Any]:
    """The JSON object the bot sent (Slack-style: text, mrkdwn, blocks, attachments)."""
    raw = await request.get_data(cache=True, as_text=False, parse_form_data=False)
    if (request.content_length or 0) > PAYLOAD_MAX_BYTES or len(raw) > PAYLOAD_MAX_BYTES:
        abort(413, f"payload_too_large: at most {PAYLOAD_MAX_BYTES // 1024} KiB.")
    try:
        payload = read_json(raw)
    except UnreadableJson as exc:
        abort(400, f"invalid_json: {exc}")
    if not isinstance(payload, dict):
        abort(400, 'invalid_payload: send a JSON object like {"text": "..."}.')
    return payload

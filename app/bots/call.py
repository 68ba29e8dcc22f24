"""What Parley sends a bot (the JSON body of the call and its signature) and how the bot's
answer is read back (JSON `{"text": ...}` / Slack blocks, or text/plain).

The signature is Slack's scheme: `X-Parley-Timestamp: <unix seconds>` and
`X-Parley-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the bot's secret>`.
The bot recomputes it over the raw body and refuses a stale timestamp (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from app.json_input import UnreadableJson, read_json
from app.models import Message, Room, User

ANSWER_MAX_BYTES = 64 * 1024  # a longer answer is refused, never read whole


def call_body(message: Message, room: Room, author: User | None, bot: User,
              timestamp: int) -> bytes:
    """The call's JSON body for a message that @mentions the bot."""
    return json.dumps({
        "type": "mention", "bot": bot.username, "room_id": room.id, "room_name": room.name,
        "message_id": message.id, "seq": message.seq,
        "author": author.username if author else None, "text": message.body,
        "reply_to": message.reply_to_id, "thread_root": None, "timestamp": timestamp,
    }, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>`: the HMAC-SHA256 of "<timestamp>.<body>" keyed with the bot's secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The call's headers: JSON, the timestamp and the signature."""
    return {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Parley-Bots/1",
            "X-Parley-Timestamp": str(timestamp),
            "X-Parley-Signature": signature(secret, timestamp, body)}


class UnusableAnswer(ValueError):
    """An answer that cannot be posted; the message says why (kept on the outbox row)."""


@dataclass(frozen=True)
class Answer:
    """A bot's answer: the Slack-style payload to post, or None when it answered nothing."""

    payload: dict[str, Any] | None


def read_answer(content_type: str, raw: bytes) -> Answer:
    """The payload in a 2xx answer: JSON (an object: text, blocks, ...) or text/plain."""
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        return Answer(None)
    mimetype = content_type.split(";")[0].strip().lower()
    if mimetype == "application/json" or (mimetype != "text/plain"
                                          and text.lstrip().startswith("{")):
        try:
            payload = read_json(text)
        except UnreadableJson as exc:
            raise UnusableAnswer(f"the answer is not valid JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise UnusableAnswer('the answer is JSON but not an object like {"text": "..."}')
        return Answer(payload)
    if mimetype.startswith("text/"):
        return Answer({"text": text})
    raise UnusableAnswer(f"the answer's type {mimetype or 'none'} is neither JSON nor text")

"""One message of a Slack export as what Parley stores: its author's Slack id, its Markdown
body, when it was posted and edited, the thread it belongs to and its reactions; or the reason
it is skipped.

The text goes through app/slack_payload.py, the translation the incoming webhooks use (mrkdwn,
blocks, attachments), with the export's user and channel ids resolved to names. Files become
links to where Slack keeps them (`url_private`, else the `permalink`): Parley copies no file
out of Slack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.emoji_set import slack_reaction
from app.slack_payload import PayloadRefused, escape, link, payload_markdown

# Subtypes that are messages a person (or a bot) wrote; every other one is a notice of
# Slack's own ("joined #general", "set the topic") and is skipped, counted by subtype.
KEPT_SUBTYPES = frozenset({"", "thread_broadcast", "bot_message", "me_message", "file_share"})
WHY_NOTICES = ("a notice of Slack's, not a message (room members come from each channel's "
               "member list)")
BODY_MAX = 10_000  # Parley's longest message (MESSAGE_MAX_CHARS' default)


@dataclass(frozen=True)
class Author:
    """Who wrote a message: a person's Slack user id, or a bot's id and the name it used."""

    slack_id: str
    bot_name: str = ""

    @property
    def is_bot(self) -> bool:
        return bool(self.bot_name)


@dataclass
class Translated:
    """A message ready to store."""

    ts: str
    author: Author
    body: str
    created_at: datetime
    edited_at: datetime | None = None
    thread_ts: str | None = None  # the thread's first message, for a reply
    reactions: list[tuple[str, list[str]]] = field(default_factory=list)  # emoji, user ids
    skipped_reactions: int = 0  # custom emoji Parley has no picture for


@dataclass(frozen=True)
class Skipped:
    """A message left out, and why (the report counts each reason)."""

    reason: str


def translate(raw: Any, members: frozenset[str], names: Mapping[str, str]) -> Translated | Skipped:
    """A Slack message as a Translated, or Skipped with the reason; `members` are the usernames
    a <@U…> may mention, `names` Slack's user and channel ids to names."""
    if not isinstance(raw, dict):
        return Skipped("entries of a day file that are not messages")
    subtype = str(raw.get("subtype") or "")
    if subtype not in KEPT_SUBTYPES:
        return Skipped(f"“{subtype[:40]}” messages: {WHY_NOTICES}")
    created_at = slack_time(raw.get("ts"))
    if created_at is None:
        return Skipped("messages without a valid timestamp (“ts”)")
    author = _author(raw)
    if author is None:
        return Skipped("messages with no author (neither “user” nor “bot_id”)")
    body = _body(raw, members, names)
    if not body:
        return Skipped("messages with nothing to show (no text and no file)")
    translated = Translated(ts=str(raw["ts"]), author=author, body=body[:BODY_MAX],
                            created_at=created_at, edited_at=_edited_at(raw),
                            thread_ts=_thread_parent(raw))
    _add_reactions(translated, raw.get("reactions"))
    return translated


def slack_time(ts: Any) -> datetime | None:
    """Slack's "1712345678.000200" (seconds, then a per-second counter) as a UTC time."""
    if not isinstance(ts, str):
        return None
    seconds, _, fraction = ts.partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()) or len(seconds) > 11:
        return None
    micros = int((fraction + "000000")[:6]) if fraction else 0
    return datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=micros)


def _author(raw: dict[str, Any]) -> Author | None:
    user, bot_id = raw.get("user"), raw.get("bot_id")
    if raw.get("subtype") == "bot_message" or (not user and bot_id):
        profile = _mapping(raw.get("bot_profile"))
        name = raw.get("username") or profile.get("name") or "bot"
        if isinstance(bot_id, str) and bot_id:
            return Author(bot_id, str(name)[:32])
    return Author(user) if isinstance(user, str) and user else None


def _body(raw: dict[str, Any], members: frozenset[str], names: Mapping[str, str]) -> str:
    payload = {key: raw[key] for key in ("text", "blocks", "attachments")
               if isinstance(raw.get(key), str if key == "text" else list)}
    try:
        text = payload_markdown(payload, members, names)
    except PayloadRefused:  # nothing to show: a file alone, say
        text = ""
    if raw.get("subtype") == "me_message" and text:
        text = f"*{text}*"  # /me waves: shown in italics, as Slack does
    files = [_file_line(f) for f in _files(raw)]
    return "\n\n".join(part for part in (text, *files) if part).strip()


def _files(raw: dict[str, Any]) -> list[dict[str, Any]]:
    listed = raw.get("files")
    files: list[Any] = listed if isinstance(listed, list) else []
    if isinstance(raw.get("file"), dict):  # older exports: one file per file_share message
        files = [*files, raw["file"]]
    return [f for f in files if isinstance(f, dict)]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _file_line(item: dict[str, Any]) -> str:
    """📎 and a link to the file on Slack; a file Slack no longer has is named, unlinked."""
    name = str(item.get("title") or item.get("name") or "a file")[:200]
    url = item.get("url_private") or item.get("permalink")
    if item.get("mode") in {"tombstone", "hidden_by_limit"} or not isinstance(url, str) \
            or not url.startswith("https://"):
        return f"📎 {escape(name)} (a file Slack did not export)"
    return f"📎 {link(name, url)}"


def _edited_at(raw: dict[str, Any]) -> datetime | None:
    edited = raw.get("edited")
    return slack_time(edited.get("ts")) if isinstance(edited, dict) else None


def _thread_parent(raw: dict[str, Any]) -> str | None:
    thread_ts = raw.get("thread_ts")
    if isinstance(thread_ts, str) and thread_ts != raw.get("ts") and slack_time(thread_ts):
        return thread_ts
    return None


def _add_reactions(translated: Translated, reactions: Any) -> None:
    for reaction in reactions if isinstance(reactions, list) else []:
        if not isinstance(reaction, dict) or not isinstance(reaction.get("name"), str):
            continue
        users = [u for u in reaction.get("users") or [] if isinstance(u, str)]
        value = slack_reaction(reaction["name"])
        if value is None:
            translated.skipped_reactions += len(users) or 1
        elif users:
            translated.reactions.append((value, users))

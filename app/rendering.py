"""Rendering helpers: viewer-independent fragments, DOM ids, and the template filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jinja2 import Environment
from quart import current_app
from quart.globals import app_ctx

from app.formatting import plain_excerpt, render_markdown
from app.icons import icon
from app.media.uploads import format_bytes
from app.mentions import mentioned_names
from app.models.message import REACTIONS

_NAME_PARTS = re.compile(r"[._\-\s]+")
AVATAR_HUES = 8


def dom_id(obj: Any, suffix: str = "") -> str:
    """The one place element ids come from: `message-<client id>`, `room-42-messages`, ..."""
    kind = type(obj).__name__.lower()
    key = obj.client_msg_id if kind == "message" else obj.id
    return dom_id_for(kind, key, suffix)


def message_path(message: Any) -> str:
    """A message's link: its room's history around it, scrolled to it and highlighted
    (`?around=` on the room page; `#message-…` is the element, so it works without JavaScript).
    A reply only in its thread links to its thread, when its root was loaded with it."""
    root = getattr(message, "thread_root", None) if message.thread_root_id else None
    if message.seq < 0 and root is not None and hasattr(root, "seq"):
        return thread_path(root) + f"#{dom_id(message)}"
    return f"/rooms/{message.room_id}?around={message.seq}#{dom_id(message)}"


def thread_path(root: Any) -> str:
    """A thread's page (a side panel beside the room on a desktop): `/rooms/<id>/threads/<seq>`."""
    return f"/rooms/{root.room_id}/threads/{root.seq}"


def dom_id_for(kind: str, key: Any, suffix: str = "") -> str:
    """dom_id for code that holds only a kind and a key (e.g. a room id from a bus event)."""
    return f"{kind}-{key}" + (f"-{suffix}" if suffix else "")


def typing_sentence(names: list[str]) -> str:
    """'alice is typing…', 'alice and bob are typing…', 'several people are typing…'."""
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} is typing…"
    if len(names) == 2:
        return f"{names[0]} and {names[1]} are typing…"
    return "Several people are typing…"


async def render_fragment(template: str, **context: Any) -> str:
    """Render a partial with only the given context: no request, no current user (by the
    synchronous environment: a fragment's context is all there before it renders)."""
    return sync_environment().get_template(template).render(**context)


def compile_templates(app: Any) -> int:
    """Compile every template now, before serving, for both environments; returns how many.

    Otherwise the first message after a start compiles its fragments (tens of milliseconds
    of the event loop) while the room waits for it.
    """
    names = app.jinja_env.list_templates()
    sync = app.extensions["sync_jinja_env"] = _overlay(app)
    for name in names:
        app.jinja_env.get_template(name)
        if name.endswith(".html"):
            sync.get_template(name)
    return len(names)


def sync_environment() -> Environment:
    """The app's templates, filters and globals, rendered without Jinja's async mode.

    Async mode costs a coroutine per block, include and filter call; a page whose context is
    all there before it renders (render_page) and the message fragments await nothing.
    """
    env: Environment | None = current_app.extensions.get("sync_jinja_env")
    if env is None:
        env = current_app.extensions["sync_jinja_env"] = _overlay(current_app)
    return env


async def render_page(template: str, **context: Any) -> str:
    """render_template, rendered by sync_environment(): the context processors run first (they
    may await); the templates call nothing that awaits."""
    app = current_app._get_current_object()
    await app.update_template_context(app_ctx._get_current_object(), context)
    return sync_environment().get_template(template).render(context)


def _overlay(app: Any) -> Environment:
    # A cache of its own: the overlay would otherwise start with a copy of the app's, whose
    # templates are compiled for async mode.
    env: Environment = app.jinja_env.overlay(enable_async=False, cache_size=1000)
    return env


def initials(name: str) -> str:
    """One or two letters for a generated avatar: "alice" → "A", "mary.jane" → "MJ"."""
    parts = [part for part in _NAME_PARTS.split(name) if part]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


def register_filters(app: Any) -> None:
    """Make the helpers available in every template."""
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["mentions"] = mentions_attribute
    app.jinja_env.filters["excerpt"] = plain_excerpt
    app.jinja_env.filters["initials"] = initials
    app.jinja_env.filters["filesize"] = format_bytes
    app.jinja_env.globals["AVATAR_HUES"] = AVATAR_HUES
    app.jinja_env.globals["dom_id"] = dom_id
    app.jinja_env.globals["dom_id_for"] = dom_id_for
    app.jinja_env.globals["REACTIONS"] = REACTIONS
    app.jinja_env.globals["timeline"] = timeline
    app.jinja_env.globals["message_path"] = message_path
    app.jinja_env.globals["icon"] = icon
    app.jinja_env.globals["thread_path"] = thread_path
    app.jinja_env.filters["ago"] = time_ago


def mentions_attribute(body: str) -> str:
    """The lower-cased names a message @mentions, space-separated, for `data-mentions`.

    Names rather than user ids: they come from the text alone (no query per render), and
    `username_key` is unique, so a tab tells "me" by its own name as surely as by its id.
    """
    return " ".join(sorted(mentioned_names(body)))


def time_ago(at: Any, now: datetime | None = None) -> str:
    """'just now', '2 min ago', '3 h ago', '4 days ago': how long ago, in words (the summary
    of a thread; static/js/timeline.js refreshes it in the page as time passes)."""
    seconds = max(0, int(((now or datetime.now(UTC)) - at).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''} ago"


GROUP_WITHIN = timedelta(minutes=5)  # the same as GROUP_MS in static/js/message_list.js


@dataclass(frozen=True)
class TimelineEntry:
    """A message as the list shows it: under a day heading (`day` set on the first message of a
    UTC day) and under the header of the same author's run (`continued`)."""

    message: Any
    day: str | None
    day_label: str
    continued: bool


def timeline(messages: list[Any]) -> list[TimelineEntry]:
    """The page's messages with their day headings and runs worked out on the server, by the
    rules static/js/timeline.js and message_list.js apply in the browser (the browser relabels
    days in the reader's time zone), so a page does not move when its script runs. A deleted
    message's note stays in its author's run."""
    entries: list[TimelineEntry] = []
    previous: Any = None
    run_start: Any = None
    for message in messages:
        at = message.created_at
        day = _day(at)
        new_day = previous is None or _day(previous.created_at) != day
        continued = (previous is not None and previous.author_id == message.author_id
                     and run_start <= at < run_start + GROUP_WITHIN
                     and not _is_notice(previous) and not _is_notice(message))
        run_start = run_start if continued else at
        entries.append(TimelineEntry(message, day if new_day else None,
                                     f"{at:%A} {at.day} {at:%B}", continued))
        previous = message
    return entries


def _is_notice(message: Any) -> bool:
    """An announcement ("carol added dave") starts no run and joins none."""
    return getattr(message, "notice", None) is not None


def _day(at: Any) -> str:
    return f"{at.year}-{at.month}-{at.day}"

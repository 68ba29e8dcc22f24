"""A message's fragment, rendered once per version and reused by every list that shows it.

The room page, the catch-up fragment, the socket frames, the answer to a post or a change and
the export all take a message's HTML from one bounded per-process LRU cache, keyed by
app/queries/message_versions.fragment_key (the message's change number and what else it
shows). The cached HTML is the same for every viewer; what differs per viewer or per use is
added to a copy by `dress`, with string operations at fixed places rather than another render:

- "mine" and "can-manage" (the no-JS page marks what its reader may change; the page's script
  marks pushed copies the same way from data-author-id), "continued" (the timeline's run of one
  author) - classes inserted at the end of the fragment's opening class attribute;
- hx-swap-oob for a socket's replacement frame - an attribute inserted in the opening tag;
- the viewer's CSRF token in each reaction form (for posting without JavaScript) - a fixed
  placeholder input, replaced by the token's input on a page and dropped elsewhere.

A CSS rule keyed on a body attribute could not do the first: CSS cannot compare a message's
author id with the viewer's, and a per-viewer style rule would need an inline style (CSP).

Fragments render in a synchronous overlay of the app's Jinja environment: the message
templates await nothing, and Jinja's async mode costs a coroutine per block and filter.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from quart import current_app

from app.queries.message_versions import (
    MessageVersion,
    fragment_key,
    messages_for_display,
    version_of,
)
from app.rendering import sync_environment, timeline

MESSAGE = "messages/_message.html"
EXPORT = "exports/_message.html"
FRAGMENT_CACHE_SIZE = 4096  # about 2.5 KB each: some 10 MB per process at most
CSRF_PLACEHOLDER = "__parley_csrf__"
CSRF_INPUT = f'<input type="hidden" name="csrf_token" value="{CSRF_PLACEHOLDER}">'
_OPENING = '<article class="message'


class FragmentCache:
    """A bounded LRU of rendered fragments; `renders` counts the renders it took (tests)."""

    def __init__(self, size: int = FRAGMENT_CACHE_SIZE) -> None:
        self.size = size
        self.renders = 0
        self._items: OrderedDict[Hashable, str] = OrderedDict()

    def get(self, key: Hashable) -> str | None:
        html = self._items.get(key)
        if html is not None:
            self._items.move_to_end(key)
        return html

    def put(self, key: Hashable, html: str) -> None:
        self._items[key] = html
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


def fragment_cache() -> FragmentCache:
    """This process's fragment cache."""
    cache: FragmentCache = current_app.extensions.setdefault("fragment_cache", FragmentCache())
    return cache


def cached_fragment(template: str, message: Any, **context: Any) -> str:
    """`template` rendered for `message` (loaded with MESSAGE_RELATIONS), from the cache when
    this version was rendered before. `context` must not vary for one version."""
    cache = fragment_cache()
    key = (template, fragment_key(version_of(message)))
    html = cache.get(key)
    if html is None:
        html = sync_environment().get_template(template).render(
            message=message, csrf_token=_placeholder, url_for=_path_for, **context)
        cache.put(key, html)
        cache.renders += 1
    return html


def cached_export(message: Any) -> str | None:
    """A message's entry in the HTML export, if this version is cached."""
    return fragment_cache().get((EXPORT, fragment_key(version_of(message))))


def export_fragment(message: Any, thumb: str | None) -> str:
    """A message's entry in the HTML export (its thumbnail inlined as `thumb`), cached."""
    return cached_fragment(EXPORT, message, thumb=thumb)


def export_with_thread(message: Any, thumb: str | None,
                       thread: list[tuple[Any, str | None]]) -> str:
    """A thread root's entry in the HTML export with its replies nested, `thread` being
    (reply, its thumbnail) pairs; not cached (the key does not hold the replies)."""
    return sync_environment().get_template(EXPORT).render(
        message=message, thumb=thumb, thread=thread, csrf_token=_placeholder, url_for=_path_for)


def message_html(message: Any) -> str:
    """A message's fragment as sockets, answers and the catch-up send it (no viewer)."""
    return dress(cached_fragment(MESSAGE, message))


def dress(html: str, *, classes: str = "", oob: bool = False, csrf: str | None = None) -> str:
    """A copy of a cached fragment with one viewer's or one use's bits (the module docstring)."""
    if classes:
        end = html.index('"', len(_OPENING))
        html = f"{html[:end]} {classes}{html[end:]}"
    if oob:
        end = html.index(">")
        html = f'{html[:end]} hx-swap-oob="outerHTML"{html[end:]}'
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_INPUT, "" if csrf is None else
                            CSRF_INPUT.replace(CSRF_PLACEHOLDER, csrf))
    return html


@dataclass(frozen=True)
class PageEntry:
    """A message in a list: its day heading (on the first of a day) and its dressed HTML."""

    message: MessageVersion
    day: str | None
    day_label: str
    html: Markup


async def page_entries(versions: list[MessageVersion], *, viewer_id: int | None = None,
                       moderator: bool = False, csrf: str | None = None) -> list[PageEntry]:
    """The list's messages as the page shows them, rendering only those not cached yet (one
    query loads them all). A viewer's own messages are marked "mine", every one "can-manage"
    for a moderator; `csrf` goes into the reaction forms (pages only)."""
    cache = fragment_cache()
    cached = {v.id: cache.get((MESSAGE, fragment_key(v))) for v in versions}
    missing = await messages_for_display([i for i, html in cached.items() if html is None])
    entries = []
    for entry in timeline(versions):
        version = entry.message
        html = cached[version.id]
        if html is None:
            message = missing.get(version.id)
            if message is None:
                continue  # deleted between the two queries
            html = cached_fragment(MESSAGE, message)
        classes = " ".join(name for name, on in (
            ("mine", viewer_id == version.author_id), ("can-manage", moderator),
            ("continued", entry.continued)) if on)
        entries.append(PageEntry(version, entry.day, entry.day_label,
                                 Markup(dress(html, classes=classes, csrf=csrf))))
    return entries


def _placeholder() -> str:
    return CSRF_PLACEHOLDER


def _path_for(endpoint: str, **values: Any) -> str:
    return current_app.url_map.bind("").build(endpoint, values)

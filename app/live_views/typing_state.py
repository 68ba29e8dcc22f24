"""Who is typing where, in this process: notices that expire when their pings stop."""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Protocol

TYPING_TTL = 5.0  # seconds a typing notice lives without a fresh ping


class TypingEvent(Protocol):
    """What a typing event carries (Typing in a room, and the like): a dataclass, so a stop
    is the same event with `stopped` set."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def user_id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def stopped(self) -> bool: ...


@dataclass
class _Notice:
    event: TypingEvent
    until: float


class TypingState:
    """Typists per scope (a room, say). A notice whose pings stopped counts as stopped, so a
    dropped connection leaves no ghost typist."""

    def __init__(self, ttl: float = TYPING_TTL) -> None:
        self.ttl = ttl
        self._scopes: dict[Hashable, dict[int, _Notice]] = {}

    def update(self, scope: Hashable, event: TypingEvent) -> bool:
        """Record a ping (or a stop); True when who is shown typing changed."""
        typists = self._scopes.setdefault(scope, {})
        fresh = event.user_id not in typists
        if event.stopped:
            typists.pop(event.user_id, None)
        else:
            typists[event.user_id] = _Notice(event, time.monotonic() + self.ttl)
        if not typists:
            del self._scopes[scope]
        return fresh != event.stopped  # started anew, or stopped one that was shown

    def stop(self, scope: Hashable, user_id: int) -> bool:
        """`user_id` sent a message: their notice goes; True if there was one."""
        typists = self._scopes.get(scope, {})
        notice = typists.get(user_id)
        return notice is not None and self.update(scope, replace(notice.event, stopped=True))

    def names(self, scope: Hashable, viewer_id: int | None = None) -> list[str]:
        """The names shown typing to `viewer_id` (never themselves), sorted."""
        typists = self._scopes.get(scope, {})
        return sorted(n.event.username for uid, n in typists.items() if uid != viewer_id)

    def is_typing(self, scope: Hashable, user_id: int) -> bool:
        return user_id in self._scopes.get(scope, {})

    def expired(self, now: float) -> list[TypingEvent]:
        """Stop events for every notice past its time, to be handled like the typist's own."""
        return [replace(notice.event, stopped=True)
                for typists in self._scopes.values()
                for notice in typists.values() if notice.until <= now]

    def purge(self, now: float) -> None:
        """Forget notices past their time that no view handled (nobody here listens any more)."""
        for scope, typists in list(self._scopes.items()):
            for user_id in [uid for uid, n in typists.items() if n.until <= now]:
                del typists[user_id]
            if not typists:
                del self._scopes[scope]

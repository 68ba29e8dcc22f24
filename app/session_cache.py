"""Who is logged in, remembered per process so a request does not look its session up.

Entries are dropped for a user whenever the bus says their account changed or their sessions
ended (AccountChanged, on every process), and all at once when the bus lost events; an entry
also lives at most `ttl` seconds, as a bound on anything changed without an event.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.models import User

MISSING = object()


class SessionCache:
    """session id -> User (or None for an unknown session), bounded and expiring."""

    def __init__(self, max_entries: int = 20_000, ttl: float = 60.0) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._entries: dict[str, tuple[User | None, float]] = {}

    def get(self, session_id: str) -> User | None | object:
        """The cached User (None: no such session), or MISSING when it must be looked up."""
        entry = self._entries.get(session_id)
        if entry is None or entry[1] < time.monotonic():
            return MISSING
        return entry[0]

    def put(self, session_id: str, user: User | None) -> None:
        if len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest entry
        self._entries[session_id] = (user, time.monotonic() + self.ttl)

    def forget(self, session_id: str) -> None:
        self._entries.pop(session_id, None)

    def forget_user(self, user_id: int) -> None:
        """Drop every session of `user_id` (their account changed or they signed out)."""
        for session_id in [sid for sid, (user, _) in self._entries.items()
                           if user is not None and user.id == user_id]:
            del self._entries[session_id]

    def clear(self) -> None:
        self._entries.clear()

"""What this process keeps between events to show each socket right: per-room counters for the
unread badges, and who is typing where. The transport (app/realtime/) carries it unread."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from app.live_views.typing_state import TypingState
from app.models import Involvement
from app.realtime.connections import Connection, Registry
from app.realtime.dispatch import Dispatcher

TYPING_TICK = 1.0  # seconds between checks for typing notices whose pings stopped


@dataclass(slots=True)
class RoomState:
    """What a connection knows of one of its rooms, to keep the unread badge right."""

    last_seq: int
    last_read: int
    mention_seq: int = 0  # the newest message that mentions this user
    mention_count: int = 0  # unread messages that mention this user
    involvement: Involvement = Involvement.EVERYTHING  # what the badge shows

    @property
    def unread(self) -> int:
        return max(0, self.last_seq - self.last_read)

    @property
    def mentioned(self) -> bool:
        """An unread message mentions this user (the badge says so)."""
        return self.mention_seq > self.last_read

    @property
    def mentions(self) -> int:
        """How many unread messages mention this user."""
        return self.mention_count if self.mentioned else 0

    def mentioned_at(self, seq: int) -> None:
        """A new message at `seq` mentions this user."""
        self.mention_seq = max(self.mention_seq, seq)
        self.mention_count += 1

    def read_to(self, seq: int) -> None:
        """The user read up to `seq`; the mentions are read with the newest of them."""
        self.last_read = max(self.last_read, seq)
        if not self.mentioned:
            self.mention_count = 0


Socket = Connection[RoomState]  # a socket as the views see it: its rooms' counters


@dataclass
class Live:
    """The process-local state views may read and update: routing and typing notices."""

    registry: Registry
    typing: TypingState

    @classmethod
    def over(cls, registry: Registry) -> Live:
        """Fresh state for the sockets of `registry` (what the transport starts views with)."""
        return cls(registry, TypingState())


async def expire_typing(dispatcher: Dispatcher) -> None:
    """Notices whose pings stopped are handled as if their typists had stopped."""
    live: Live = dispatcher.live
    now = time.monotonic()
    expired: list[Any] = live.typing.expired(now)
    if expired:
        await dispatcher.deliver(expired)
        live.typing.purge(now)

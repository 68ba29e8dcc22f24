"""Bus events: small, typed, past tense; they carry ids, never HTML (NOTIFY caps at 8000 bytes)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar


def room_channel(room_id: int) -> str:
    """Routing key for everything members of a room receive."""
    return f"room_{room_id}"


def user_channel(user_id: int) -> str:
    """Routing key for what only one user's tabs receive (read markers, membership changes)."""
    return f"user_{user_id}"


@dataclass(frozen=True)
class Event:
    """Base class: a registry of event types by their `kind` tag; each names its `channel`."""

    kind: ClassVar[str] = ""
    types: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Event.types[cls.kind] = cls

    def to_json(self) -> str:
        return json.dumps({"t": self.kind, **asdict(self)}, separators=(",", ":"))

    @staticmethod
    def from_json(payload: str) -> Event:
        """Parse a payload; unknown kinds or fields are an error."""
        data = json.loads(payload)
        cls = Event.types[data.pop("t")]
        names = {f.name for f in fields(cls)}
        if set(data) != names:
            raise ValueError(f"{cls.kind}: fields {sorted(data)} != {sorted(names)}")
        return cls(**data)


@dataclass(frozen=True)
class MessageCreated(Event):
    kind: ClassVar[str] = "msg"
    room_id: int
    message_id: int
    seq: int
    author_id: int

    @property
    def channel(self) -> str:
        return room_channel(self.room_id)


@dataclass(frozen=True)
class Typing(Event):
    """Someone is typing in a room (`stopped` when they left or sent)."""

    kind: ClassVar[str] = "typing"
    room_id: int
    user_id: int
    username: str
    stopped: bool = False

    @property
    def channel(self) -> str:
        return room_channel(self.room_id)


@dataclass(frozen=True)
class RoomRead(Event):
    """A user read a room up to `seq` (so their other tabs clear its unread count)."""

    kind: ClassVar[str] = "read"
    user_id: int
    room_id: int
    seq: int

    @property
    def channel(self) -> str:
        return user_channel(self.user_id)


@dataclass(frozen=True)
class InvitationsChanged(Event):
    """A user's open invitations changed (one arrived, or was accepted, declined or revoked)."""

    kind: ClassVar[str] = "invites"
    user_id: int

    @property
    def channel(self) -> str:
        return user_channel(self.user_id)


@dataclass(frozen=True)
class MembershipChanged(Event):
    """A user joined or lost a room: their sockets start or stop hearing it at once."""

    kind: ClassVar[str] = "membership"
    user_id: int
    room_id: int
    member: bool

    @property
    def channel(self) -> str:
        return user_channel(self.user_id)


@dataclass(frozen=True)
class MembersChanged(Event):
    """A room's member list changed (viewers re-render the members panel)."""

    kind: ClassVar[str] = "members"
    room_id: int

    @property
    def channel(self) -> str:
        return room_channel(self.room_id)


@dataclass(frozen=True)
class KeyPublished(Event):
    """Someone in a direct room with `user_id` published a key: that user's tabs can now seal
    messages for them (a first message waiting on it can go)."""

    kind: ClassVar[str] = "key"
    user_id: int
    room_id: int
    owner_id: int
    username: str
    first: bool

    @property
    def channel(self) -> str:
        return user_channel(self.user_id)


@dataclass(frozen=True)
class MessageChanged(Event):
    """A message was edited, deleted or reacted to: viewers replace its fragment in place."""

    kind: ClassVar[str] = "msg_changed"
    room_id: int
    message_id: int
    change_seq: int

    @property
    def channel(self) -> str:
        return room_channel(self.room_id)

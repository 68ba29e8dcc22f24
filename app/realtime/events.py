"""Bus events: small, typed, past tense; they carry ids, never HTML (NOTIFY caps at 8000 bytes).

Each event names its audience (a room's members, or some users); the transport routes by that
alone. What a socket is then sent is decided by the view registered for the event's type
(app/live_views/), not here.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Audience:
    """Who hears an event: the members of one room, or the listed users (any of their tabs).

    `every_process`: every app process handles it even with none of the audience's sockets
    (it changes process state, such as a cache of who is logged in).
    """

    room_id: int | None = None
    user_ids: tuple[int, ...] = ()
    every_process: bool = False

    @classmethod
    def room(cls, room_id: int) -> Audience:
        return cls(room_id=room_id)

    @classmethod
    def users(cls, *user_ids: int, every_process: bool = False) -> Audience:
        return cls(user_ids=user_ids, every_process=every_process)


@dataclass(frozen=True)
class Event(ABC):
    """Base class: a registry of event types by their `kind` tag; each names its `audience`."""

    kind: ClassVar[str] = ""
    types: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Event.types[cls.kind] = cls

    @property
    @abstractmethod
    def audience(self) -> Audience:
        """Who hears this event: a room's members or some users (every event type says)."""

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
    def audience(self) -> Audience:
        return Audience.room(self.room_id)


@dataclass(frozen=True)
class Typing(Event):
    """Someone is typing in a room (`stopped` when they left or sent)."""

    kind: ClassVar[str] = "typing"
    room_id: int
    user_id: int
    username: str
    stopped: bool = False

    @property
    def audience(self) -> Audience:
        return Audience.room(self.room_id)


@dataclass(frozen=True)
class RoomRead(Event):
    """A user read a room up to `seq` (so their other tabs clear its unread count)."""

    kind: ClassVar[str] = "read"
    user_id: int
    room_id: int
    seq: int

    @property
    def audience(self) -> Audience:
        return Audience.users(self.user_id)


@dataclass(frozen=True)
class InvitationsChanged(Event):
    """A user's open invitations changed (one arrived, or was accepted, declined or revoked)."""

    kind: ClassVar[str] = "invites"
    user_id: int

    @property
    def audience(self) -> Audience:
        return Audience.users(self.user_id)


@dataclass(frozen=True)
class MembershipChanged(Event):
    """A user joined or lost a room: their sockets start or stop hearing it at once."""

    kind: ClassVar[str] = "membership"
    user_id: int
    room_id: int
    member: bool

    @property
    def audience(self) -> Audience:
        return Audience.users(self.user_id)


@dataclass(frozen=True)
class MembersChanged(Event):
    """A room's member list changed (viewers re-render the members panel)."""

    kind: ClassVar[str] = "members"
    room_id: int

    @property
    def audience(self) -> Audience:
        return Audience.room(self.room_id)


@dataclass(frozen=True)
class KeyPublished(Event):
    """Someone in a direct room with `user_id` published a key (`first`: their first one), so
    that user's tabs can seal for it; a first message waiting on it can go."""

    kind: ClassVar[str] = "key"
    user_id: int
    room_id: int
    owner_id: int
    username: str
    first: bool

    @property
    def audience(self) -> Audience:
        return Audience.users(self.user_id)


@dataclass(frozen=True)
class MessageChanged(Event):
    """A message was edited, deleted or reacted to: viewers replace its fragment in place."""

    kind: ClassVar[str] = "msg_changed"
    room_id: int
    message_id: int
    change_seq: int

    @property
    def audience(self) -> Audience:
        return Audience.room(self.room_id)


@dataclass(frozen=True)
class AccountChanged(Event):
    """A user's account changed (profile, settings), or their sessions ended (`signed_out`:
    all of them, so their open sockets close too). Every process drops what it cached."""

    kind: ClassVar[str] = "account"
    user_id: int
    signed_out: bool
    # A password change ends the other sessions only: the digest of the one that stays, whose
    # sockets stay open ("" closes them all).
    kept_session: str = ""

    @property
    def audience(self) -> Audience:
        return Audience.users(self.user_id, every_process=True)


@dataclass(frozen=True)
class PresenceChanged(Event):
    """A person's first tab opened (online) or their last one closed (offline), anywhere.
    Every process shows it to the sockets looking at a room the person is a member of."""

    kind: ClassVar[str] = "presence"
    user_id: int
    online: bool

    @property
    def audience(self) -> Audience:
        return Audience.users(every_process=True)


@dataclass(frozen=True)
class ThreadsChanged(Event):
    """These users' followed threads changed (a reply, a follow, a read): their sidebars
    re-count the threads with unread replies."""

    kind: ClassVar[str] = "threads"
    user_ids: tuple[int, ...]

    @property
    def audience(self) -> Audience:
        return Audience.users(*self.user_ids)

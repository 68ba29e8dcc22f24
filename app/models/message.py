"""Messages: numbered per room, idempotent per client message id; their edits and reactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from app.emoji_set import emoji_name
from app.models.link_preview import LinkPreview, MessageLink

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.attachment import Attachment
    from app.models.media import MediaFile
    from app.models.room import Room
    from app.models.user import User


# The fixed reaction set: (emoji, accessible name). Headless browsers may lack an emoji font,
# so every reaction is shown with its name too.
# The quick picks offered on every message (and the whole choice without JavaScript); the
# searchable picker offers any emoji in app.emoji_set.
REACTIONS: tuple[tuple[str, str], ...] = (
    ("👍", "thumbs up"), ("❤️", "heart"), ("😂", "laughing"), ("🎉", "party"),
    ("😮", "surprised"), ("😢", "sad"),
)
REACTION_NAMES = dict(REACTIONS)


class Message(Model):
    """A posted message; (room, seq) orders it and (room, client_msg_id) makes retries safe.

    In a direct room `body` is empty and `envelope` holds what the browsers sealed (see
    app/actions/envelopes.py): ciphertext, and the message's content key sealed for each
    member's current public key. The server never sees the text. A member's arrival in a
    direct room is announced by a message the server writes itself (author: who added them;
    `envelope` = {"v": "notice", "kind": "member_added", "user_id", "username"}, see
    `notice`): the browsers seal for a member only once they have seen that announcement.

    `change_seq` is the room's change counter (Room.last_change_seq) at the message's last
    edit, deletion or reaction: the catch-up returns messages changed after a client's counter.
    """

    id = fields.BigIntField(primary_key=True)
    room: fields.ForeignKeyRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="messages", on_delete=fields.CASCADE
    )
    room_id: int
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="messages", on_delete=fields.CASCADE
    )
    author_id: int
    seq = fields.BigIntField()
    client_msg_id = fields.CharField(max_length=64)
    body = fields.TextField()  # may be empty with an image or a file, or once deleted
    # Direct rooms only; None once deleted.
    envelope: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    image: fields.ForeignKeyNullableRelation[MediaFile] = fields.ForeignKeyField(
        "models.MediaFile", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    image_id: int | None
    attachment: fields.ForeignKeyNullableRelation[Attachment] = fields.ForeignKeyField(
        "models.Attachment", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    attachment_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    edited_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)
    change_seq = fields.BigIntField(default=0)
    # The message this one replies to (same room; checked when posting). Its fragment shows a
    # compact quote of it; deleting the original's row leaves the reply, quoting nothing.
    reply_to: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="replies", null=True, on_delete=fields.SET_NULL
    )
    reply_to_id: int | None
    # A thread reply's root (a top-level message of the same room). A reply only in its thread
    # has no place in the room's timeline: its `seq` is minus its id, so every `seq > n` read
    # of the room passes it by and the room's unread counts never count it. One also sent to
    # the room (`also_in_room`) takes the room's next seq like any message.
    thread_root: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="thread_replies", null=True, on_delete=fields.CASCADE
    )
    thread_root_id: int | None
    also_in_room = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "messages"
        unique_together = (("room", "seq"), ("room", "client_msg_id"))
        indexes = (("room_id", "change_seq"),)

    @property
    def notice(self) -> dict[str, Any] | None:
        """What a server-written announcement says (a member added), or None for a message."""
        envelope = self.envelope
        return envelope if isinstance(envelope, dict) and envelope.get("v") == "notice" else None

    def quoted(self) -> Message | None:
        """The message this one replies to, when it was loaded with it (else None)."""
        related = getattr(self, "reply_to", None) if self.reply_to_id is not None else None
        return related if isinstance(related, Message) else None

    @property
    def in_thread_only(self) -> bool:
        """A thread reply that the room's timeline does not show."""
        return self.thread_root_id is not None and not self.also_in_room

    def thread_summary(self) -> ThreadSummary | None:
        """The "3 replies · last …" line of a thread's root, when it was loaded with it."""
        summary = getattr(self, "_thread_summary", None)
        return summary if isinstance(summary, ThreadSummary) and summary.count else None

    def reaction_groups(self) -> list[tuple[str, str, list[str]]]:
        """(emoji, name, usernames) for each reaction someone gave, in the order first given."""
        given: dict[str, list[str]] = {}
        for reaction in sorted(self.given_reactions(), key=lambda r: r.id):
            given.setdefault(reaction.emoji, []).append(reaction.user.username)
        return [(emoji, REACTION_NAMES.get(emoji) or emoji_name(emoji), names)
                for emoji, names in given.items()]

    def reactor_ids(self, emoji: str) -> str:
        """Space-separated ids of who gave `emoji` (JS highlights "I reacted" from it)."""
        return " ".join(str(r.user_id) for r in self.given_reactions() if r.emoji == emoji)

    def link_card(self) -> LinkPreview | None:
        """The link preview shown under the message, when it has one and it was loaded."""
        related = getattr(self, "link", None)
        return related.card() if isinstance(related, MessageLink) else None

    def given_reactions(self) -> list[Reaction]:
        """The reactions loaded with the message (none when they were not fetched)."""
        # A message just posted (or loaded without its reactions) has none to show.
        related = self.reactions  # type: ignore[attr-defined]
        return list(related) if getattr(related, "_fetched", False) else []


@dataclass(frozen=True)
class ThreadSummary:
    """A root's thread at a glance: replies (not deleted), the newest one's time, and up to
    three of the people who replied, most recent first."""

    count: int
    last_reply_at: datetime | None
    repliers: tuple[User, ...] = ()


class MessageRevision(Model):
    """A message's text before an edit: the edit history room members may read."""

    id = fields.BigIntField(primary_key=True)
    message: fields.ForeignKeyRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="revisions", on_delete=fields.CASCADE
    )
    message_id: int
    body = fields.TextField()
    written_at = fields.DatetimeField()  # when this text was posted or last edited
    replaced_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "message_revisions"


class Reaction(Model):
    """One person's emoji on one message (toggled: given once, taken back the same way)."""

    id = fields.BigIntField(primary_key=True)
    message: fields.ForeignKeyRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="reactions", on_delete=fields.CASCADE
    )
    message_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="reactions", on_delete=fields.CASCADE
    )
    user_id: int
    emoji = fields.CharField(max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reactions"
        unique_together = (("message", "user", "emoji"),)


class ThreadFollow(Model):
    """`user` follows the thread of `root`: they get its replies like mentions, and it counts
    under "Threads" while a reply newer than `last_read_id` (a message id) is unread.

    Who follows: the root's author, everyone who replies and everyone mentioned in a reply;
    anyone in the room may follow or unfollow with one click."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="thread_follows", on_delete=fields.CASCADE
    )
    user_id: int
    root: fields.ForeignKeyRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="follows", on_delete=fields.CASCADE
    )
    root_id: int
    last_read_id = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "thread_follows"
        unique_together = (("user", "root"),)

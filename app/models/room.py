"""Rooms and who belongs to them."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.user import User



class RoomKind(StrEnum):
    """Public rooms are listed and open to join; private rooms are unlisted and invite-only;
    direct rooms are private conversations of 2-8 people, end-to-end encrypted."""

    PUBLIC = "public"
    PRIVATE = "private"
    DIRECT = "direct"


class Room(Model):
    """A chat room; `last_seq` is bumped under the row lock to number its messages.

    A direct room has no name of its own (it is called after its members); its owner is the
    member who started it, who may remove members (anyone in it may add people, up to 8).
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    topic = fields.CharField(max_length=250, default="")
    kind = fields.CharEnumField(RoomKind, max_length=16, default=RoomKind.PUBLIC)
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="owned_rooms", null=True, on_delete=fields.SET_NULL
    )
    owner_id: int | None
    last_seq = fields.BigIntField(default=0)
    last_change_seq = fields.BigIntField(default=0)  # bumped by each edit, deletion, reaction
    last_message_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    archived_at = fields.DatetimeField(null=True)
    # A public room every account is in: joined at sign-up, and by everyone when it is marked.
    everyone = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "rooms"

    @property
    def is_direct(self) -> bool:
        """True for a private conversation (its messages are ciphertext envelopes)."""
        return self.kind == RoomKind.DIRECT


class Involvement(StrEnum):
    """How much of a room reaches a member (Campfire's involvement), in one setting for the
    sidebar badge, browser notifications, Web Push and e-mail while they are away:

    - everything: the unread count; a notification, push and e-mail for every message;
    - mentions: only the count of unread @mentions; notified of those only;
    - nothing: no badge, no notification; the room stays listed;
    - invisible: as nothing, and the room leaves the sidebar until it is opened again.

    A direct room's messages are addressed to each member, so they count as mentions there.
    """

    EVERYTHING = "everything"
    MENTIONS = "mentions"
    NOTHING = "nothing"
    INVISIBLE = "invisible"

    def wants(self, mentioned: bool) -> bool:
        """True when a message (mentioning this member or not) should reach them."""
        return self == Involvement.EVERYTHING or (mentioned and self == Involvement.MENTIONS)

    @property
    def listed(self) -> bool:
        """The room shows in the member's sidebar."""
        return self != Involvement.INVISIBLE


class Membership(Model):
    """A user's place in a room; `last_read_seq` drives unread counts."""

    id = fields.IntField(primary_key=True)
    room: fields.ForeignKeyRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="memberships", on_delete=fields.CASCADE
    )
    room_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    user_id: int
    joined_at = fields.DatetimeField(auto_now_add=True)
    last_read_seq = fields.BigIntField(default=0)
    involvement = fields.CharEnumField(Involvement, max_length=10, default=Involvement.MENTIONS)
    # Set when an e-mail mentioned this room; cleared when the member reads it, so one visit
    # away from the room earns at most one e-mail about it.
    email_held = fields.BooleanField(default=False)

    class Meta:
        table = "memberships"
        unique_together = (("room", "user"),)

"""The outbox: one row per notification a user is owed by a channel (an e-mail, a push),
written in the transaction that stores what it is about."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model
from tortoise.queryset import QuerySet

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.invitation import Invitation
    from app.models.message import Message
    from app.models.room import Room
    from app.models.user import User



class NotificationKind(StrEnum):
    """What a row is about; it decides how the row is re-checked and worded."""

    DIRECT_MESSAGE = "direct_message"
    PRIVATE_REQUEST = "private_request"  # someone wants to talk privately; you have no key yet
    MENTION = "mention"
    ROOM_MESSAGE = "room_message"
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"
    VERIFY_EMAIL = "verify_email"
    PASSWORD_CHANGED = "password_changed"  # a notice to the owner, whatever their settings


class Channel(StrEnum):
    """How a row reaches its user: each channel has its own sender (app/mail/, app/push/,
    app/bots/: a bot's row is a signed call to its URL)."""

    EMAIL = "email"
    PUSH = "push"
    BOT = "bot"


class NotificationStatus(StrEnum):
    """Pending rows wait for their channel's sender; the others record what became of them."""

    PENDING = "pending"
    SENT = "sent"  # an e-mail the mail server took; a push at least one push service took
    SKIPPED = "skipped"  # read, came online, muted or deleted before it was due
    FAILED = "failed"  # refused for good, or the retries ran out


class Delivery(Model):
    """An outbox row: `user` is owed a notification by `channel` once it is due.

    E-mail rows wait out the user's batching delay and go out as one digest per user; push
    rows go out within seconds. Foreign keys cascade, so a deleted message, room or
    invitation takes its rows with it and nothing is sent about it.
    """

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharEnumField(Channel, max_length=8)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="deliveries", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharEnumField(NotificationKind, max_length=16)
    status = fields.CharEnumField(NotificationStatus, max_length=8,
                                  default=NotificationStatus.PENDING)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="deliveries_caused", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="deliveries", null=True, on_delete=fields.CASCADE
    )
    room_id: int | None
    message: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="deliveries", null=True, on_delete=fields.CASCADE
    )
    message_id: int | None
    invitation: fields.ForeignKeyNullableRelation[Invitation] = fields.ForeignKeyField(
        "models.Invitation", related_name="deliveries", null=True, on_delete=fields.CASCADE
    )
    invitation_id: int | None
    attempts = fields.IntField(default=0)
    not_before = fields.DatetimeField(auto_now_add=True)  # moved later by retry back-off
    last_error = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "deliveries"
        indexes = (("channel", "status", "user_id"), ("status", "not_before"))

    @classmethod
    def emails(cls) -> QuerySet[Delivery]:
        """The e-mail outbox."""
        return cls.filter(channel=Channel.EMAIL)

    @classmethod
    def pushes(cls) -> QuerySet[Delivery]:
        """The push outbox."""
        return cls.filter(channel=Channel.PUSH)

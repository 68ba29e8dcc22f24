"""The e-mail outbox: one row per thing a user may be e-mailed about, written with the thing."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

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


class NotificationStatus(StrEnum):
    """Pending rows wait for the sender; the others record what became of them."""

    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"  # read, came online, muted or deleted before it was due
    FAILED = "failed"  # the mail server refused it for good (5xx) or retries ran out


class Notification(Model):
    """An outbox row: `user` may get an e-mail about it once the batching delay has passed.

    Foreign keys cascade, so a deleted message, room or invitation takes its rows with it and
    the e-mail leaves it out.
    """

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharEnumField(NotificationKind, max_length=16)
    status = fields.CharEnumField(NotificationStatus, max_length=8,
                                  default=NotificationStatus.PENDING)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notifications_caused", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    room_id: int | None
    message: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    message_id: int | None
    invitation: fields.ForeignKeyNullableRelation[Invitation] = fields.ForeignKeyField(
        "models.Invitation", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    invitation_id: int | None
    attempts = fields.IntField(default=0)
    not_before = fields.DatetimeField(auto_now_add=True)  # moved later by retry back-off
    last_error = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        indexes = (("status", "user_id"),)

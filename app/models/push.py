"""Web Push: each device's subscription, and the push outbox written with the message."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from app.models.notification import NotificationKind

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.message import Message
    from app.models.room import Room
    from app.models.user import Session, User



class PushStatus(StrEnum):
    """Pending rows wait for the push sender; the others record what became of them."""

    PENDING = "pending"
    SENT = "sent"  # at least one device's push service took it
    SKIPPED = "skipped"  # read, muted, came online or deleted before it went out
    FAILED = "failed"  # no push service took it, after the retries


class PushSubscription(Model):
    """One browser's push endpoint for `user`, with the keys that encrypt what it is sent.

    The endpoint is a capability URL at the browser vendor's push service; `p256dh` and `auth`
    (base64url, from PushSubscription.getKey) let only that browser read a payload. It belongs
    to the login `session` that subscribed: when that session ends (logout, log-out-everywhere,
    a password reset, deactivation) the database deletes the subscription with it.
    """

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="push_subscriptions", on_delete=fields.CASCADE
    )
    user_id: int
    session: fields.ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "models.Session", related_name="push_subscriptions", on_delete=fields.CASCADE
    )
    session_id: int
    endpoint = fields.CharField(max_length=1024, unique=True)
    p256dh = fields.CharField(max_length=128)
    auth = fields.CharField(max_length=64)
    device = fields.CharField(max_length=80, default="")  # "Firefox on Linux", for the list
    created_at = fields.DatetimeField(auto_now_add=True)
    last_push_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_subscriptions"


class PushDelivery(Model):
    """A push owed to `user` about a mention or a private message, sent within seconds.

    Written in the transaction that stores the message, next to the e-mail outbox row, so a
    crash between commit and send loses nothing; foreign keys cascade, so a deleted message
    takes its pending push with it.
    """

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="push_deliveries", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharEnumField(NotificationKind, max_length=16)
    status = fields.CharEnumField(PushStatus, max_length=8, default=PushStatus.PENDING)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="push_deliveries_caused", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="push_deliveries", null=True, on_delete=fields.CASCADE
    )
    room_id: int | None
    message: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="push_deliveries", null=True, on_delete=fields.CASCADE
    )
    message_id: int | None
    attempts = fields.IntField(default=0)
    not_before = fields.DatetimeField(auto_now_add=True)  # moved later by retry back-off
    last_error = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_deliveries"
        indexes = (("status", "not_before"),)

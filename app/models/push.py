"""Web Push: each device's subscription (its outbox rows are Deliveries of the push channel)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from app.models.notification import NotificationStatus

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.user import Session, User



PushStatus = NotificationStatus  # the name migrations before 0019 import


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

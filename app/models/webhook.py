"""Incoming webhooks: a secret URL that posts into one room as a bot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.room import Room
    from app.models.user import User



class Webhook(Model):
    """A room's incoming webhook; only the SHA-256 of its token is stored."""

    id = fields.IntField(primary_key=True)
    room: fields.ForeignKeyRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="webhooks", on_delete=fields.CASCADE
    )
    room_id: int
    creator: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webhooks_created", on_delete=fields.CASCADE
    )
    creator_id: int
    bot: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webhook", on_delete=fields.CASCADE
    )
    bot_id: int
    name = fields.CharField(max_length=32)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhooks"

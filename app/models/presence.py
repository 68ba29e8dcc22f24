"""Presence: one row per live WebSocket, so any process can tell who is online anywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.room import Room
    from app.models.user import User



class Presence(Model):
    """A live connection of `user` held by app process `instance_id`, refreshed by heartbeats."""

    id = fields.BigIntField(primary_key=True)
    instance_id = fields.CharField(max_length=36, db_index=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="presences", on_delete=fields.CASCADE
    )
    user_id: int
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="presences", null=True, on_delete=fields.SET_NULL
    )
    room_id: int | None
    connected_at = fields.DatetimeField(auto_now_add=True)
    heartbeat_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "presence"

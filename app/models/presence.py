"""Presence: one row per live WebSocket, so any process can tell who is online anywhere."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Presence(Model):
    """A live connection of `user` held by app process `instance_id`, refreshed by heartbeats."""

    id = fields.BigIntField(primary_key=True)
    instance_id = fields.CharField(max_length=36, db_index=True)
    user = fields.ForeignKeyField("models.User", related_name="presences", on_delete=fields.CASCADE)
    room = fields.ForeignKeyField("models.Room", related_name="presences", null=True,
                                  on_delete=fields.SET_NULL)
    connected_at = fields.DatetimeField(auto_now_add=True)
    heartbeat_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "presence"

"""Invitations: pending offers to join a private room (accepted, declined or revoked ones are gone)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.room import Room
    from app.models.user import User



class Invitation(Model):
    """`inviter` asked `invitee` into `room`; the row lives only while the offer is open."""

    id = fields.IntField(primary_key=True)
    room: fields.ForeignKeyRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="invitations", on_delete=fields.CASCADE
    )
    room_id: int
    invitee: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitations_received", on_delete=fields.CASCADE
    )
    invitee_id: int
    inviter: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitations_sent", null=True, on_delete=fields.SET_NULL
    )
    inviter_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invitations"
        unique_together = (("room", "invitee"),)

"""Invitations: pending offers to join a private room (accepted, declined or revoked ones are gone)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Invitation(Model):
    """`inviter` asked `invitee` into `room`; the row lives only while the offer is open."""

    id = fields.IntField(primary_key=True)
    room = fields.ForeignKeyField("models.Room", related_name="invitations", on_delete=fields.CASCADE)
    invitee = fields.ForeignKeyField("models.User", related_name="invitations_received",
                                     on_delete=fields.CASCADE)
    inviter = fields.ForeignKeyField("models.User", related_name="invitations_sent", null=True,
                                     on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invitations"
        unique_together = (("room", "invitee"),)

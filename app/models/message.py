"""Messages: numbered per room, idempotent per client message id."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Message(Model):
    """A posted message; (room, seq) orders it and (room, client_msg_id) makes retries safe."""

    id = fields.BigIntField(primary_key=True)
    room = fields.ForeignKeyField("models.Room", related_name="messages", on_delete=fields.CASCADE)
    author = fields.ForeignKeyField("models.User", related_name="messages", on_delete=fields.CASCADE)
    seq = fields.BigIntField()
    client_msg_id = fields.CharField(max_length=64)
    body = fields.TextField()  # may be empty when the message carries an image
    image = fields.ForeignKeyField("models.MediaFile", related_name="messages", null=True,
                                   on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "messages"
        unique_together = (("room", "seq"), ("room", "client_msg_id"))

"""Private one-to-one conversations and their end-to-end encrypted messages (ciphertext only)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Conversation(Model):
    """Two users' private conversation; `low_user` has the smaller id, so a pair has one row."""

    id = fields.IntField(primary_key=True)
    low_user = fields.ForeignKeyField("models.User", related_name="low_conversations",
                                      on_delete=fields.CASCADE)
    high_user = fields.ForeignKeyField("models.User", related_name="high_conversations",
                                       on_delete=fields.CASCADE)
    last_seq = fields.BigIntField(default=0)
    low_read_seq = fields.BigIntField(default=0)
    high_read_seq = fields.BigIntField(default=0)
    # Set when an e-mail told that user about this conversation; cleared when they read it.
    low_email_held = fields.BooleanField(default=False)
    high_email_held = fields.BooleanField(default=False)
    last_message_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "conversations"
        unique_together = (("low_user", "high_user"),)


class DirectMessage(Model):
    """An encrypted private message: the server holds ciphertext and the key ids it was made with."""

    id = fields.BigIntField(primary_key=True)
    conversation = fields.ForeignKeyField("models.Conversation", related_name="messages",
                                          on_delete=fields.CASCADE)
    sender = fields.ForeignKeyField("models.User", related_name="sent_direct_messages",
                                    on_delete=fields.CASCADE)
    seq = fields.BigIntField()
    client_msg_id = fields.CharField(max_length=64)
    ciphertext = fields.TextField()
    iv = fields.CharField(max_length=24)
    salt = fields.CharField(max_length=64)
    sender_key = fields.ForeignKeyField("models.PublicKey", related_name="sent_messages",
                                        on_delete=fields.RESTRICT)
    recipient_key = fields.ForeignKeyField("models.PublicKey", related_name="received_messages",
                                           on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "direct_messages"
        unique_together = (("conversation", "seq"), ("conversation", "client_msg_id"))

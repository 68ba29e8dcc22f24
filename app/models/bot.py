"""Two-way bots: a bot user an administrator made, its API key and the URL it is called at."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:  # the related model, for the relation type only
    from app.models.user import User


class Bot(Model):
    """A bot's account (`user`, is_bot) and how it talks to Parley.

    `key_hash`: the SHA-256 of its API key (shown once, rotatable). `url`: called with a signed
    JSON POST when the bot is @mentioned (None: it only uses the API). `signing_secret` signs
    those calls (HMAC-SHA256); Parley must sign with it, so it is kept as is, like a password
    the bot's owner chose for verifying us, and shown to the administrator with the key.
    """

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="bot", on_delete=fields.CASCADE
    )
    user_id: int
    url = fields.CharField(max_length=2000, null=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    signing_secret = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "bots"

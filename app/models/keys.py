"""Public keys for private messages, and the passphrase-wrapped backups of their private halves."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:  # the related models, for the relation types only
    from app.models.user import User



class KeyAlgorithm(StrEnum):
    """The key agreement a public key is for: X25519, or ECDH P-256 where X25519 is missing."""

    X25519 = "X25519"
    P256 = "P-256"


class PublicKey(Model):
    """One public key of a user; never deleted, so old messages name the key they were made with."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="public_keys", on_delete=fields.CASCADE
    )
    user_id: int
    algorithm = fields.CharEnumField(KeyAlgorithm, max_length=16)
    public_key = fields.CharField(max_length=100)  # base64url of the raw public key
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "public_keys"


class KeyBackup(Model):
    """A private key wrapped in the browser with a passphrase (PBKDF2 + AES-GCM); opaque here."""

    id = fields.IntField(primary_key=True)
    key: fields.OneToOneRelation[PublicKey] = fields.OneToOneField(
        "models.PublicKey", related_name="backup", on_delete=fields.CASCADE
    )
    key_id: int
    wrapped_key = fields.CharField(max_length=700)
    salt = fields.CharField(max_length=90)
    iv = fields.CharField(max_length=24)
    iterations = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "key_backups"

"""Publishing a user's public key together with the passphrase-wrapped backup of its private key."""

from __future__ import annotations

from typing import Any

from app.actions import envelopes
from app.actions.errors import InvalidInput
from app.models import KeyBackup, PublicKey, User
from app.realtime.publish import in_transaction

MAX_KEYS_PER_USER = 100


async def publish_key(user: User, form: Any) -> PublicKey:
    """Store a new public key and its wrapped backup; it becomes the user's current key."""
    alg = envelopes.algorithm(form.get("algorithm"))
    fields = {
        "public_key": envelopes.public_key(alg, form.get("public_key")),
        "wrapped_key": envelopes.b64url_bytes(form.get("wrapped_key"), "wrapped_key",
                                              *envelopes.WRAPPED_KEY_BYTES),
        "salt": envelopes.b64url_bytes(form.get("salt"), "salt", *envelopes.BACKUP_SALT_BYTES),
        "iv": envelopes.b64url_bytes(form.get("iv"), "iv", envelopes.IV_BYTES, envelopes.IV_BYTES),
        "iterations": envelopes.iterations(form.get("iterations")),
    }
    if await PublicKey.filter(user_id=user.id).count() >= MAX_KEYS_PER_USER:
        raise InvalidInput({"public_key": f"You can have at most {MAX_KEYS_PER_USER} keys."})
    async with in_transaction() as conn:
        key = await PublicKey.create(user_id=user.id, algorithm=alg,
                                     public_key=fields.pop("public_key"), using_db=conn)
        await KeyBackup.create(key_id=key.id, using_db=conn, **fields)
    return key

"""Publishing a user's public key, and the passphrase-wrapped backup of its private half."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from app.actions import envelopes
from app.errors import Conflict, InvalidInput
from app.models import KeyBackup, Membership, PublicKey, RoomKind, User
from app.realtime.events import KeyPublished
from app.realtime.publish import in_transaction, publish

MAX_KEYS_PER_USER = 100
BACKUP_FIELDS = ("wrapped_key", "salt", "iv", "iterations")


async def publish_key(user: User, form: Any) -> PublicKey:
    """Store a new public key (with its backup if the form has one); it becomes current.

    The browser makes the key the first time the person uses Parley with JavaScript, before
    any passphrase exists, so the backup usually comes later (back_up_key). Everyone who
    shares a direct room with the user hears of it, so a waiting composer opens at once.
    """
    alg = envelopes.algorithm(form.get("algorithm"))
    public_key = envelopes.public_key(alg, form.get("public_key"))
    backup = _backup_fields(form) if any(form.get(f) for f in BACKUP_FIELDS) else None
    count = await PublicKey.filter(user_id=user.id).count()
    if count >= MAX_KEYS_PER_USER:
        raise InvalidInput({"public_key": f"You can have at most {MAX_KEYS_PER_USER} keys."})
    async with in_transaction() as conn:
        key = await PublicKey.create(user_id=user.id, algorithm=alg, public_key=public_key,
                                     using_db=conn)
        if backup is not None:
            await KeyBackup.create(key_id=key.id, using_db=conn, **backup)
        rooms = await Membership.filter(user_id=user.id, room__kind=RoomKind.DIRECT,
                                        room__archived_at=None).using_db(conn) \
            .values_list("room_id", flat=True)
        others = await Membership.filter(room_id__in=list(rooms)).exclude(user_id=user.id) \
            .using_db(conn).values("user_id", "room_id")
        for row in others:
            await publish(KeyPublished(user_id=row["user_id"], room_id=row["room_id"],
                                       owner_id=user.id, username=user.username,
                                       first=count == 0), using_db=conn)
    return key


async def back_up_key(key: PublicKey, form: Any) -> KeyBackup:
    """Attach the passphrase-wrapped private key to a key that has no backup yet."""
    fields = _backup_fields(form)
    try:
        return await KeyBackup.create(key_id=key.id, **fields)
    except IntegrityError:
        raise Conflict("This key is already backed up.") from None


def _backup_fields(form: Any) -> dict[str, Any]:
    return {
        "wrapped_key": envelopes.b64url_bytes(form.get("wrapped_key"), "wrapped_key",
                                              *envelopes.WRAPPED_KEY_BYTES),
        "salt": envelopes.b64url_bytes(form.get("salt"), "salt", *envelopes.BACKUP_SALT_BYTES),
        "iv": envelopes.b64url_bytes(form.get("iv"), "iv", envelopes.IV_BYTES, envelopes.IV_BYTES),
        "iterations": envelopes.iterations(form.get("iterations")),
    }

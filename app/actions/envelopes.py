"""Shape checks for what browsers send for private messages: base64url fields of bounded size.

The server cannot read ciphertext or keys; it only makes sure each field is well-formed and
small, so nothing else can be smuggled into the tables. Values never appear in error messages.

A direct room's message is a version-2 envelope, made in the sender's browser:

    {"v": 2, "sender_key": <key id>, "iv": <12 bytes>, "ciphertext": <AES-GCM of the text>,
     "keys": [{"key": <a member's key id>, "salt": <32 bytes>, "iv": <12 bytes>,
               "sealed": <the message's content key, AES-GCM under a key derived from
                          ECDH(sender key, member key)>}, ...one per member, sender included]}

Version 1 envelopes are messages of the old one-to-one conversations, kept as they were
(migrations/0008_direct_rooms.py); browsers still open them, nobody writes them any more.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from app.errors import InvalidInput
from app.json_input import UnreadableJson, read_json
from app.models import KeyAlgorithm

_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
PUBLIC_KEY_BYTES = {KeyAlgorithm.X25519: 32, KeyAlgorithm.P256: 65}
WRAPPED_KEY_BYTES = (32, 512)
BACKUP_SALT_BYTES = (16, 64)
IV_BYTES = 12
MESSAGE_SALT_BYTES = 32
CIPHERTEXT_BYTES = (17, 64 * 1024)  # an AES-GCM tag (16) plus at least one byte of body
ITERATIONS = (600_000, 10_000_000)
SEALED_KEY_BYTES = 48  # a 32-byte AES key plus the 16-byte GCM tag
ENVELOPE_CHARS = 100 * 1024
ID_MAX = 2**31 - 1  # key ids are PostgreSQL integers


def sealed_envelope(value: str | None) -> dict[str, Any]:
    """A version-2 envelope, checked for shape and for distinct sealed keys (that there is one
    for each member's current key is the posting statement's check, under the room's lock)."""
    try:
        raw = read_json(value or "") if len(value or "") <= ENVELOPE_CHARS else None
    except UnreadableJson as exc:
        if value and value.lstrip().startswith("{"):  # an envelope, but a broken one
            raise InvalidInput({"envelope": f"The encrypted message is malformed: {exc}"}) \
                from None
        raw = None
    if not isinstance(raw, dict) or raw.get("v") != 2 or not isinstance(raw.get("keys"), list):
        raise needs_javascript()
    keys = [_sealed_key(entry) for entry in raw["keys"]]
    if not keys or len({k["key"] for k in keys}) != len(keys):
        raise not_sealed_for_each()
    return {"v": 2, "sender_key": key_id(raw.get("sender_key"), "sender_key"),
            "iv": b64url_bytes(raw.get("iv"), "iv", IV_BYTES, IV_BYTES),
            "ciphertext": b64url_bytes(raw.get("ciphertext"), "ciphertext", *CIPHERTEXT_BYTES),
            "keys": keys}


def needs_javascript() -> InvalidInput:
    """The refusal of a private message that is not an envelope (sent without JavaScript)."""
    return InvalidInput({"envelope": "Private messages are encrypted in your browser, "
                                     "which needs JavaScript. Nothing was sent."})


def not_sealed_for_each() -> InvalidInput:
    """The refusal of an envelope without one sealed key for each member."""
    return InvalidInput({"envelope": "The message was not sealed for each member once."})


def b64url_bytes(value: str | None, field: str, low: int, high: int) -> str:
    """The unpadded base64url text if it decodes to `low`..`high` bytes, else InvalidInput."""
    value = (value or "").strip()
    if not value or len(value) > (high * 4 + 2) // 3 or not _B64URL.match(value):
        raise InvalidInput({field: f"The {_label(field)} is missing or malformed."})
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput({field: f"The {_label(field)} is missing or malformed."}) from None
    if not low <= len(raw) <= high or _encode(raw) != value:
        raise InvalidInput({field: f"The {_label(field)} has the wrong size or encoding."})
    return value


def algorithm(value: str | None) -> KeyAlgorithm:
    """The key algorithm named by the browser, or InvalidInput."""
    try:
        return KeyAlgorithm(value or "")
    except ValueError:
        raise InvalidInput({"algorithm": "Keys must be X25519 or P-256."}) from None


def public_key(alg: KeyAlgorithm, value: str | None) -> str:
    """A raw public key of the exact size its algorithm has (P-256: uncompressed point)."""
    size = PUBLIC_KEY_BYTES[alg]
    value = b64url_bytes(value, "public_key", size, size)
    if alg is KeyAlgorithm.P256 and not value.startswith("B"):  # 0x04 prefix
        raise InvalidInput({"public_key": "The public key has the wrong size or encoding."})
    return value


def iterations(value: str | int | None) -> int:
    """A PBKDF2 iteration count within the accepted range (at least 600,000)."""
    try:
        count = int(value or 0)
    except (TypeError, ValueError):
        count = 0
    if not ITERATIONS[0] <= count <= ITERATIONS[1]:
        raise InvalidInput({"iterations": f"Backups need {ITERATIONS[0]:,} to "
                                          f"{ITERATIONS[1]:,} PBKDF2 iterations."})
    return count


def key_id(value: str | int | None, field: str) -> int:
    """A positive key id (a whole number in ASCII digits, within the database's integers),
    or InvalidInput."""
    if isinstance(value, str) and value.isascii() and value.isdecimal() and len(value) <= 10:
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = 0
    if not 0 < number <= ID_MAX:
        raise InvalidInput({field: f"The {_label(field)} is missing or malformed."})
    return number


def _sealed_key(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise InvalidInput({"envelope": "A sealed key is malformed."})
    return {"key": key_id(entry.get("key"), "key"),
            "salt": b64url_bytes(entry.get("salt"), "salt", MESSAGE_SALT_BYTES,
                                 MESSAGE_SALT_BYTES),
            "iv": b64url_bytes(entry.get("iv"), "iv", IV_BYTES, IV_BYTES),
            "sealed": b64url_bytes(entry.get("sealed"), "sealed", SEALED_KEY_BYTES,
                                   SEALED_KEY_BYTES)}


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _label(field: str) -> str:
    return field.replace("_", " ")

"""Shape checks for what browsers send for private messages: base64url fields of bounded size.

The server cannot read ciphertext or keys; it only makes sure each field is well-formed and
small, so nothing else can be smuggled into the tables. Values never appear in error messages.
"""

from __future__ import annotations

import base64
import binascii
import re

from app.actions.errors import InvalidInput
from app.models import KeyAlgorithm

_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
PUBLIC_KEY_BYTES = {KeyAlgorithm.X25519: 32, KeyAlgorithm.P256: 65}
WRAPPED_KEY_BYTES = (32, 512)
BACKUP_SALT_BYTES = (16, 64)
IV_BYTES = 12
MESSAGE_SALT_BYTES = 32
CIPHERTEXT_BYTES = (17, 64 * 1024)  # an AES-GCM tag (16) plus at least one byte of body
ITERATIONS = (600_000, 10_000_000)


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
    """A positive key id, or InvalidInput."""
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise InvalidInput({field: f"The {_label(field)} is missing or malformed."})
    return number


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _label(field: str) -> str:
    return field.replace("_", " ")

"""The server's VAPID key pair: from VAPID_PRIVATE_KEY, or the instance's own in the database."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

from config.settings import Settings

KEY_FILE = "vapid_private_key.pem"  # where versions before the database kept a made key


@dataclass(frozen=True)
class VapidKeys:
    """What signs pushes (`vapid`), what browsers subscribe with, and who to contact."""

    vapid: Vapid02
    application_server_key: str  # the public key, uncompressed P-256 point, base64url
    subject: str  # mailto: or https: address push services may contact about abuse

    def claims(self) -> dict[str, str]:
        """A fresh claims dict: pywebpush adds `aud` and `exp` to the one it is given."""
        return {"sub": self.subject}


def load_vapid_keys(settings: Settings) -> VapidKeys:
    """The key pair of `settings.vapid_private_key` (VAPID_PRIVATE_KEY, else the instance's)."""
    if not settings.vapid_private_key:
        raise ValueError("no VAPID key: the app fills it in from the database when it starts")
    # The raw 32-byte key, base64url (a PEM string is refused by pywebpush, so not offered).
    vapid = Vapid02.from_raw(settings.vapid_private_key.strip().encode())
    point = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(vapid, b64url(point), settings.vapid_subject or _subject(settings))


def b64url(raw: bytes) -> str:
    """Unpadded base64url, as the Push API writes keys."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_raw_key() -> str:
    """A new private key, raw and base64url (the form VAPID_PRIVATE_KEY takes)."""
    vapid = Vapid02()
    vapid.generate_keys()
    return _raw(vapid)


def raw_key_of_file(path: Path) -> str:
    """The raw base64url form of a PEM key file an older version made under VAR_DIR."""
    return _raw(Vapid02.from_file(str(path)))


def _raw(vapid: Vapid02) -> str:
    return b64url(vapid.private_key.private_numbers().private_value.to_bytes(32, "big"))


def _subject(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return f"mailto:{address}" if "@" in address else str(settings.base_url)

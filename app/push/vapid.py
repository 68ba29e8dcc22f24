"""The server's VAPID key pair: from VAPID_PRIVATE_KEY, or made once and kept under VAR_DIR."""

from __future__ import annotations

import base64
import contextlib
import os
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

from config.settings import Settings

KEY_FILE = "vapid_private_key.pem"


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
    """The configured key, else the one under VAR_DIR, else a new one saved there."""
    if settings.vapid_private_key:
        # The raw 32-byte key, base64url (a PEM string is refused by pywebpush, so not offered).
        vapid = Vapid02.from_raw(settings.vapid_private_key.strip().encode())
    else:
        vapid = _kept_key(settings.var_dir / KEY_FILE)
    point = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(vapid, b64url(point), settings.vapid_subject or _subject(settings))


def b64url(raw: bytes) -> str:
    """Unpadded base64url, as the Push API writes keys."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _kept_key(path: Path) -> Vapid02:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        vapid = Vapid02()
        vapid.generate_keys()
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        vapid.save_key(str(draft))
        draft.chmod(0o600)
        # Several processes may start at once: the first link wins and everyone reads it back.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return Vapid02.from_file(str(path))


def _subject(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return f"mailto:{address}" if "@" in address else str(settings.base_url)

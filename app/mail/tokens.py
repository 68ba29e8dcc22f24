"""Signed links in e-mails: unsubscribe / mute a room, single-use password resets and
address verifications."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from app.models import User

RESET_MAX_AGE = 30 * 60  # seconds a reset link stays valid
VERIFY_MAX_AGE = 7 * 24 * 3600  # seconds a verification link stays valid


@dataclass(frozen=True)
class Unsubscribe:
    """Whose mail to stop: all of it, or only one room's."""

    user_id: int
    room_id: int | None


def unsubscribe_token(secret: str, user_id: int, room_id: int | None = None) -> str:
    """A link token that turns off mail without logging in (it grants nothing else)."""
    return URLSafeSerializer(secret, salt="parley-unsubscribe").dumps([user_id, room_id])


def read_unsubscribe_token(secret: str, token: str) -> Unsubscribe | None:
    """The request a token carries, or None for a forged or damaged one."""
    try:
        user_id, room_id = URLSafeSerializer(secret, salt="parley-unsubscribe").loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not (room_id is None or isinstance(room_id, int)):
        return None
    return Unsubscribe(user_id, room_id)


def password_reset_token(secret: str, user: User) -> str:
    """A short-lived token bound to the current password hash, so using it once spends it."""
    return _reset_serializer(secret).dumps([user.id, _fingerprint(user)])


async def user_for_reset_token(secret: str, token: str) -> User | None:
    """The user a valid, unexpired, unused reset token is for."""
    try:
        user_id, fingerprint = _reset_serializer(secret).loads(token, max_age=RESET_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    user = await User.get_or_none(id=user_id) if isinstance(user_id, int) else None
    if user is None or fingerprint != _fingerprint(user):
        return None
    return user


def email_verification_token(secret: str, user: User) -> str:
    """A token for the user's current, unverified address, as it is now: confirming the address
    or changing it (even away and back) spends it (`User.email_generation` moves on)."""
    return _verify_serializer(secret).dumps([user.id, _address_fingerprint(user)])


async def user_for_verification_token(secret: str, token: str) -> User | None:
    """The user whose current address a valid, unexpired, unused token verifies."""
    try:
        user_id, fingerprint = _verify_serializer(secret).loads(token, max_age=VERIFY_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    user = await User.get_or_none(id=user_id) if isinstance(user_id, int) else None
    if user is None or user.email_verified_at is not None or \
            fingerprint != _address_fingerprint(user):
        return None
    return user


def _verify_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="parley-verify-email")


def _address_fingerprint(user: User) -> str:
    address = user.email.strip().lower()
    if user.email_generation:  # links sent before generations were counted carry only the address
        address = f"{user.email_generation}:{address}"
    return hashlib.sha256(address.encode()).hexdigest()[:24]


def _reset_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="parley-password-reset")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]

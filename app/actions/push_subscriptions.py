"""Devices that receive Web Push: subscribing one (from the browser) and removing one."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tortoise.exceptions import IntegrityError

from app.errors import Forbidden, InvalidInput
from app.models import PushSubscription, Session, User
from app.outbound import OutboundGuard, OutboundRefused

P256_POINT_BYTES = 65  # an uncompressed P-256 public key: 0x04, x, y
AUTH_SECRET_BYTES = 16
MAX_DEVICES = 20  # the oldest goes when a 21st subscribes
SESSION_ENDED = "You were logged out, so this device cannot be subscribed. Log in again."


async def save_subscription(user: User, session_id: str, form: Any, user_agent: str,
                            guard: OutboundGuard) -> PushSubscription:
    """Store this browser's subscription for `user`, tied to the login session `session_id`
    that made it (the same endpoint again updates its keys and session).

    Parley POSTs to the endpoint, so `guard` must accept it: https to a public address, or
    plain http only to a network OUTBOUND_ALLOWED_NETWORKS lets through (an intranet's push
    service, the test suite's local one).
    """
    keys = {"p256dh": _key(form.get("p256dh"), "p256dh", P256_POINT_BYTES),
            "auth": _key(form.get("auth"), "auth", AUTH_SECRET_BYTES),
            "device": device_name(user_agent), "user_id": user.id, "session_id": session_id}
    endpoint = await _endpoint(form.get("endpoint") or "", guard)  # last: it may ask DNS
    try:
        # A browser signed into another account before is this user's device now.
        subscription, _ = await PushSubscription.update_or_create(keys, endpoint=endpoint)
    except IntegrityError:
        if not await Session.exists(id=session_id):  # ended meanwhile (on another process)
            raise Forbidden(SESSION_ENDED) from None
        raise InvalidInput({"endpoint": "This device was just subscribed by another request; "
                                        "try again."}) from None
    extra = await PushSubscription.filter(user_id=user.id).order_by("-created_at") \
        .offset(MAX_DEVICES).values_list("id", flat=True)
    if extra:
        await PushSubscription.filter(id__in=list(extra)).delete()
    return subscription


async def delete_subscription(subscription: PushSubscription) -> None:
    """Stop pushing to a device (the caller checked it is the user's own)."""
    await subscription.delete()


def device_name(user_agent: str) -> str:
    """"Firefox on Linux": enough to tell one's devices apart in the list."""
    browsers = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"), ("Safari/", "Safari"))
    systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
               ("Windows", "Windows"), ("Mac OS", "macOS"), ("CrOS", "ChromeOS"),
               ("Linux", "Linux"))
    browser = next((name for mark, name in browsers if mark in user_agent), "A browser")
    system = next((name for mark, name in systems if mark in user_agent), None)
    return f"{browser} on {system}" if system else browser


async def _endpoint(url: str, guard: OutboundGuard) -> str:
    url = url.strip()
    if len(url) > 1024:
        raise InvalidInput({"endpoint": "The push endpoint is too long."})
    try:
        destination = await guard.check(url, schemes=("https", "http"))
        if destination.scheme == "http" and not destination.allowed_network:
            raise OutboundRefused("Only https:// addresses are accepted.")
    except OutboundRefused as exc:
        raise InvalidInput({"endpoint": f"The push endpoint must be an https address of a "
                                        f"push service. {exc}"}) from None
    return url


def _key(value: str | None, field: str, size: int) -> str:
    text = (value or "").strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size or (size == P256_POINT_BYTES and raw[0] != 4):
        raise InvalidInput({field: f"The subscription's {field} key is missing or malformed."})
    return text

"""Password hashing, CSRF tokens, same-origin checks, throttles and security headers."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from quart import Response, abort, request, session

from app.models import ThrottleHit
from config.settings import current_settings

_hasher = PasswordHasher()
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes that take file uploads get MAX_CONTENT_LENGTH (the upload limit plus room for fields);
# every other request body is held to FORM_MAX_BYTES.
UPLOAD_ENDPOINTS = frozenset({"messages.post", "profile.update_photo"})
# The one-click unsubscribe POST comes from a mail provider, with neither session nor token:
# its signed URL is the permission, and all it can do is turn e-mail off.
CSRF_EXEMPT_ENDPOINTS = frozenset({"mail.unsubscribe_now"})
FORM_MAX_BYTES = 1024 * 1024
FORM_FIELDS_ALLOWANCE = 256 * 1024
UPLOAD_BODY_TIMEOUT = 300  # seconds: Quart's 60 s default cuts off 10 MB on a slow phone link
# A hash to verify against when the username does not exist, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash("parley-dummy-password")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same time when there is no account."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def csrf_token() -> str:
    """This browser's synchronizer token, kept in the signed session cookie."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


async def limit_request_body() -> None:
    """Upload routes get time to receive a large body; all others are held to FORM_MAX_BYTES."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.body_timeout = UPLOAD_BODY_TIMEOUT
        return
    request.max_content_length = FORM_MAX_BYTES  # enforced by the multipart parser
    if (request.content_length or 0) > FORM_MAX_BYTES:  # url-encoded bodies are only sized here
        abort(413)


async def check_csrf() -> None:
    """Refuse an unsafe request that is cross-site or lacks this browser's token (403)."""
    if request.method not in UNSAFE_METHODS or request.endpoint in CSRF_EXEMPT_ENDPOINTS:
        return
    if not is_same_origin_request():
        abort(403, "This request came from another site and was refused.")
    sent = request.headers.get("X-CSRF-Token") or (await request.form).get("csrf_token", "")
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, "Your form expired or was not sent from Parley. Reload the page and try again.")


def is_same_origin_request() -> bool:
    """Sec-Fetch-Site when the browser sends it, else Origin; requests with neither pass."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in {"same-origin", "none"}
    return origin_allowed(request.headers.get("Origin"), request.host)


def origin_allowed(origin: str | None, host: str) -> bool:
    """An absent Origin is allowed (non-browser clients); a present one must name this host."""
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == host.lower()


async def throttle(key: str, limit: int, window: timedelta) -> bool:
    """Count one hit under `key`; False when more than `limit` hits fell inside `window`."""
    if not current_settings().rate_limits:
        return True
    now = datetime.now(UTC)
    await ThrottleHit.filter(at__lt=now - timedelta(days=1)).delete()
    await ThrottleHit.create(key=key)
    return await ThrottleHit.filter(key=key, at__gte=now - window).count() <= limit


def client_ip() -> str:
    """The peer address (put the server behind a proxy with --proxy-headers to trust X-F-F)."""
    return request.remote_addr or "unknown"


async def add_security_headers(response: Response) -> Response:
    """Headers every response carries (async: Quart runs sync hooks in a thread per request)."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response

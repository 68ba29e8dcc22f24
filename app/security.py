"""Password hashing, CSRF tokens, Host and same-origin checks, throttles and security headers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import os
import secrets
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from quart import Response, abort, has_request_context, request, session, websocket
from quart_auth import current_user

from app.auth import require_account
from app.errors import Forbidden, InvalidInput
from app.models import ThrottleHit
from config.settings import current_settings

_hasher = PasswordHasher()
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes that take file uploads get MAX_CONTENT_LENGTH (the upload limit plus room for fields);
# every other request body is held to FORM_MAX_BYTES.
UPLOAD_ENDPOINTS = frozenset({"messages.post", "profile.update_photo", "files.upload_sealed",
                              "admin.upload_slack_export", "admin.bot_photo"})
# The one-click unsubscribe POST comes from a mail provider, with neither session nor token:
# its signed URL is the permission, and all it can do is turn e-mail off. A webhook POST comes
# from a script: its secret URL is the permission, it ignores any session cookie, and all it
# can do is post as its bot. Nothing else is exempt (tests/test_webhooks.py pins this list).
# The webhook's secret URL and the bot API's Bearer key are the permission: no cookie is used.
CSRF_EXEMPT_ENDPOINTS = frozenset({"mail.unsubscribe_now", "hooks.deliver", "bot_api.post_message"})
FORM_MAX_BYTES = 1024 * 1024
FORM_FIELDS_ALLOWANCE = 256 * 1024
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
UPLOAD_BODY_TIMEOUT = 300  # seconds: Quart's 60 s default cuts off 10 MB on a slow phone link
FORM_EXPIRED = "Your form expired or was not sent from Parley. Reload the page and try again."
# A hash to verify against when the username does not exist, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash("parley-dummy-password")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash and verify passwords with `hasher` in this process from now on; returns the one
    used before (the tests hash at the cheapest cost; a server keeps the production cost)."""
    global _hasher, _DUMMY_HASH
    previous, _hasher = _hasher, hasher
    _DUMMY_HASH = _hasher.hash("parley-dummy-password")
    return previous


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same time when there is no account."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _lower_priority() -> None:
    """Hashing threads take the core only when little else wants it: a log-in may wait, a
    message must not. Nice 19 (this thread only; the lane threads libargon2 starts from it, up
    to four per hash, inherit it) leaves the event loop and PostgreSQL, by scheduling weight,
    ~90 % of the core while two hashes run, where nice 10 left them about half. Not SCHED_IDLE:
    with another busy process on the core it starved log-ins (four took 55 s, 13 s at nice 19,
    3 s at nice 10)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # this thread only
    except (AttributeError, OSError):
        pass  # not Linux, or not allowed: plain priority


# argon2 is slow on purpose (and releases the GIL): at most two hashes at once, at the lowest
# priority, so twenty log-ins at once queue here instead of starving the sockets of the CPU.
HASHING_THREADS = 2
_HASHING = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="argon2",
                              initializer=_lower_priority)
# Log-ins checked at once (app.extensions["login_slots"]): one hashing and one next in line per
# hashing thread. The rest wait before their first query, so a burst of twenty neither runs
# twenty queries at once nor grows the connection pool (each new connection starts a PostgreSQL
# backend, on the same core as the event loop) while messages are waiting.
LOGIN_SLOTS = 2 * HASHING_THREADS


class Slots(asyncio.Semaphore):
    """A semaphore that says how many are waiting for a slot (what a queue's length shows)."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.waiting = 0

    async def acquire(self) -> Literal[True]:
        self.waiting += 1
        try:
            return await super().acquire()
        finally:
            self.waiting -= 1


async def hash_password_off_loop(password: str) -> str:
    """hash_password() in a hashing thread."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, hash_password, password)


async def password_matches(password_hash: str | None, password: str) -> bool:
    """verify_password() in a hashing thread."""
    return await asyncio.get_running_loop().run_in_executor(
        _HASHING, verify_password, password_hash, password)


def secret_digest(token: str) -> str:
    """What is stored and looked up instead of a secret URL token (a leaked table leaks no URL)."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token() -> str:
    """This browser's synchronizer token, kept in the signed session cookie."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def rotate_csrf_token() -> str:
    """A fresh token for this browser (at login: one known before it stops working)."""
    token = session["csrf"] = secrets.token_urlsafe(32)
    return token


async def limit_request_body() -> None:
    """An upload gets time to send a large body once its sender is known (check_uploader);
    every other body, a text-only post to an upload route too, is held to FORM_MAX_BYTES."""
    if is_upload():
        await check_uploader()
        request.body_timeout = UPLOAD_BODY_TIMEOUT
        return
    request.max_content_length = FORM_MAX_BYTES  # enforced by the multipart parser
    if (request.content_length or 0) > FORM_MAX_BYTES:  # url-encoded bodies are only sized here
        abort(413)


async def refuse_nul_bytes() -> None:
    """400 for a NUL character in the path, a query argument or a form field: PostgreSQL text
    cannot hold one, and no person types it."""
    fields = [*(request.view_args or {}).items(), *request.args.items(multi=True)]
    if request.method in UNSAFE_METHODS and request.mimetype in FORM_TYPES:
        fields += (await request.form).items(multi=True)
    for name, value in fields:
        if "\x00" in f"{name}{value}":
            label = str(name).replace("\x00", "\\0")[:40]
            raise InvalidInput({label: f"“{label}” contains a NUL character (\\0), which "
                                       "Parley does not accept."})


def is_upload() -> bool:
    """A multipart POST to a route that takes files: the one kind of body allowed to be large
    and slow."""
    return request.endpoint in UPLOAD_ENDPOINTS and request.method == "POST" \
        and request.mimetype == "multipart/form-data"


async def check_uploader() -> None:
    """Before a byte of an upload's body is read: its sender must be logged in (else the login
    page) and send this browser's token from this site (else 403), in the X-CSRF-Token header
    (htmx) or the csrf_token query argument (the no-JS form's action carries it: the field in
    the body would need the body read). So nobody unknown holds a connection for the long
    upload timeout by sending slowly."""
    await require_account()
    _require_token(request.headers.get("X-CSRF-Token") or request.args.get("csrf_token", ""))


async def check_csrf() -> None:
    """Refuse an unsafe request that is cross-site or lacks this browser's token (403)."""
    if request.method not in UNSAFE_METHODS or request.endpoint in CSRF_EXEMPT_ENDPOINTS:
        return
    if is_upload():
        return  # checked before its body was read (limit_request_body)
    _require_token(request.headers.get("X-CSRF-Token")
                   or (await request.form).get("csrf_token", ""))


def _require_token(sent: str) -> None:
    if not is_same_origin_request():
        raise Forbidden("This request came from another site and was refused.")
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(FORM_EXPIRED)


def is_same_origin_request() -> bool:
    """Sec-Fetch-Site when the browser sends it, else Origin; requests with neither pass."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in {"same-origin", "none"}
    return origin_allowed(request.headers.get("Origin"), request.host)


def origin_allowed(origin: str | None, host: str) -> bool:
    """An absent Origin is allowed (non-browser clients); a present one must name an allowed
    host itself (never trusting the Host header alone) and be the host the request went to."""
    if origin is None:
        return True
    parts = urlsplit(origin)
    return is_allowed_host(parts.hostname) and parts.netloc.lower() == host.lower()


def allowed_hosts(base_url: str, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The host names Parley answers to: BASE_URL's, ALLOWED_HOSTS, and on a developer's
    machine (BASE_URL on a loopback or unspecified address) every loopback name."""
    base = (urlsplit(base_url).hostname or "").lower()
    names = {base, *(name.strip().lower() for name in extra if name.strip())}
    if base in LOOPBACK_NAMES or _is_local_address(base):
        names |= LOOPBACK_NAMES
    return frozenset(names - {""})


def is_allowed_host(hostname: str | None) -> bool:
    """True when `hostname` (no port) is one this app answers to."""
    settings = current_settings()
    return (hostname or "").lower() in allowed_hosts(settings.base_url or "",
                                                     settings.allowed_hosts)


def is_loopback_host(hostname: str | None) -> bool:
    """True for localhost and loopback addresses."""
    return (hostname or "").lower() in LOOPBACK_NAMES or _is_loopback(hostname)


async def check_host() -> None:
    """Refuse (400) requests and WebSockets whose Host header is not one of ours.

    Without this a DNS-rebinding page (evil.example resolving to this machine) could read
    same-origin responses from a server listening on a loopback or private address.
    """
    host = (request if has_request_context() else websocket).host
    if not is_allowed_host(_hostname(host)):
        abort(400, f"This server does not answer to the name “{host[:100]}”. Use its address "
                   "(BASE_URL), or add the name to ALLOWED_HOSTS.")


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
    _keep_out_of_caches(response)
    return response


def _keep_out_of_caches(response: Response) -> None:
    """Cache-Control: no-store on whatever a signed-in browser is answered (its pages and
    fragments show its rooms, messages and name), unless the route chose its own caching
    (stored files: private, revalidated). Static files and signed-out pages keep theirs, so a
    shared computer's back button or a proxy never shows one person's page to another."""
    if "Cache-Control" in response.headers or request.endpoint == "static":
        return
    if current_user.auth_id is not None:
        response.headers["Cache-Control"] = "no-store"


def _is_local_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _is_loopback(host: str | None) -> bool:
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _hostname(host: str) -> str | None:
    try:
        return urlsplit(f"//{host}").hostname
    except ValueError:  # e.g. an unclosed "[" in the Host header
        return None


class SlidingWindow:
    """At most `limit` events per key in any `seconds`, counted in this process's memory.

    For limits on reads (a GET must not write, so the database throttle is not used there).
    """

    def __init__(self, limit: int, seconds: float, enabled: bool = True) -> None:
        self.limit, self.seconds, self.enabled = limit, seconds, enabled
        self._hits: dict[object, deque[float]] = {}

    def allow(self, key: object) -> bool:
        """Count one event for `key`; False (and not counted) when it is over the limit."""
        if not self.enabled:
            return True
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def clear(self) -> None:
        """Forget every count."""
        self._hits.clear()

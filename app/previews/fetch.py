"""Fetching a page or an image for a card, only through the outbound address guard.

Every hop is checked by app/outbound.py and its connection pinned to the checked address; a
redirect is followed by hand (at most `max_redirects`, each one checked again, so a public page
cannot bounce Parley to loopback or the LAN). Only http and https; no cookies kept or sent;
identity encoding asked for; only the content types the caller accepts are read at all, and
at most `max_bytes` of them. The whole fetch, redirects included, has one deadline: each read
waits at most what is left of it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
import urllib3

from app.outbound import Destination, OutboundGuard, OutboundRefused

REDIRECTS = {301, 302, 303, 307, 308}
# Fetches block a thread each (requests) for up to their deadline: they get threads of their
# own, so a few hanging sites never hold the event loop's default pool (DNS, Pillow, files).
THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="link-preview")


class FetchFailed(Exception):
    """The page or image could not be had; the message says why (kept for the operator)."""


@dataclass(frozen=True)
class Limits:
    """How far one fetch may go: its deadline, its size and its redirects."""

    seconds: float = 5.0
    max_bytes: int = 1024 * 1024
    max_redirects: int = 3


@dataclass(frozen=True)
class Fetched:
    """What was read: the final address, the content type, the charset, at most max_bytes."""

    url: str
    content_type: str
    charset: str | None
    body: bytes
    truncated: bool


@dataclass(frozen=True)
class Request:
    """What to fetch and what is acceptable: `accept` judges the content type; `cut` reads the
    first max_bytes of a longer body (a page) instead of refusing it (an image)."""

    url: str
    accept: Callable[[str], bool]
    user_agent: str
    cut: bool
    limits: Limits


@dataclass(frozen=True)
class _Redirect:
    location: str


async def fetch(request: Request, guard: OutboundGuard) -> Fetched:
    """The body at `request.url`, following at most max_redirects checked redirects."""
    deadline = time.monotonic() + request.limits.seconds
    url = request.url
    for _ in range(request.limits.max_redirects + 1):
        destination = await _checked(url, guard, deadline)
        try:
            result = await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(
                    THREADS, _get, guard, destination, request, deadline),
                max(0.0, deadline - time.monotonic()) + 1.0)
        except TimeoutError:  # a safety net: the thread's own reads stop at the deadline
            raise FetchFailed("timed out; its thread was left to finish") from None
        if isinstance(result, Fetched):
            return result
        url = result.location
    raise FetchFailed(f"more than {request.limits.max_redirects} redirects")


async def _checked(url: str, guard: OutboundGuard, deadline: float) -> Destination:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchFailed("timed out")
    try:
        return await asyncio.wait_for(guard.check(url, schemes=("http", "https")), remaining)
    except OutboundRefused as exc:
        raise FetchFailed(f"refused: {exc}") from None
    except TimeoutError:
        raise FetchFailed("timed out") from None


def _get(guard: OutboundGuard, destination: Destination, request: Request,
         deadline: float) -> Fetched | _Redirect:
    """One request, in a worker thread (requests blocks). It goes straight to the pinned
    adapter: no session, so no cookie jar, no proxy from the environment, and none of the
    session's redirect handling (which would read a redirect's whole body)."""
    session = guard.pinned_session(destination)
    prepared = requests.Request("GET", destination.url, headers={
        "User-Agent": request.user_agent, "Accept-Encoding": "identity",
        "Accept": "text/html,application/xhtml+xml;q=0.9,image/*;q=0.8"}).prepare()
    try:
        remaining = _remaining(deadline)
        response = session.get_adapter(destination.url).send(
            prepared, stream=True, timeout=(remaining, remaining))
        with response:
            if response.status_code in REDIRECTS and response.headers.get("Location"):
                return _Redirect(urljoin(destination.url, response.headers["Location"]))
            if response.status_code != 200:
                raise FetchFailed(f"answered {response.status_code}")
            return _read(response, destination.url, request, deadline)
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError) \
                or "timed out" in str(exc):
            raise FetchFailed("timed out") from None
        raise FetchFailed(f"{type(exc).__name__}: {exc}"[:250]) from None
    finally:
        session.close()


def _read(response: requests.Response, url: str, request: Request,
          deadline: float) -> Fetched:
    kind, _, params = response.headers.get("Content-Type", "").partition(";")
    content_type = kind.strip().lower()
    if not request.accept(content_type):
        raise FetchFailed(f"not a page or image Parley shows ({content_type or 'no type'})")
    limit = request.limits.max_bytes
    declared = response.headers.get("Content-Length", "")
    if not request.cut and declared.isdigit() and int(declared) > limit:
        raise FetchFailed(f"larger than {limit} bytes")
    chunks, size = [], 0
    while size <= limit:
        _shorten_reads(response, deadline)
        # read1: what one receive brings, so a server trickling a byte at a time meets the
        # deadline check above instead of keeping a read busy for ever.
        chunk = response.raw.read1(64 * 1024, decode_content=True)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    if len(body) > limit and not request.cut:
        raise FetchFailed(f"larger than {limit} bytes")
    return Fetched(url, content_type, _charset(params), body[:limit], len(body) > limit)


def _shorten_reads(response: requests.Response, deadline: float) -> None:
    """The next read waits at most what is left of the deadline (a trickling server is cut)."""
    remaining = _remaining(deadline)
    connection = response.raw.connection
    sock = getattr(connection, "sock", None) if connection is not None else None
    if sock is not None:
        sock.settimeout(remaining)


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchFailed("timed out")
    return remaining


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"\'')
    return None

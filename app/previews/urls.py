"""Which link of a message gets a card, and the one spelling of a URL the cache is keyed by."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from app.formatting import render_markdown

MAX_URL_CHARS = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}


def first_link(body: str) -> str | None:
    """The first http(s) link people see in the message (its Markdown rendered: a link in a code
    block is not a link), normalised; None when there is none."""
    if "http" not in body.lower():
        return None
    html = LexborHTMLParser(str(render_markdown(body)))
    for anchor in html.css("a[href]"):
        url = normalized_url(anchor.attributes.get("href") or "")
        if url is not None:
            return url
    return None


def normalized_url(url: str) -> str | None:
    """The URL as the cache knows it: scheme and host in lower case, no default port, no
    fragment, "/" for an empty path; None for anything but a well-formed http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").removesuffix(".")
    if scheme not in DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    normal = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return normal if len(normal) <= MAX_URL_CHARS else None

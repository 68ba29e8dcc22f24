"""Reading a page's card from its HTML: OpenGraph, then Twitter-card tags, then <title> and
the meta description (selectolax's Lexbor parser: HTML5 parsing, no scripts run)."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from app.previews.urls import normalized_url

TITLE_CHARS, DESCRIPTION_CHARS, SITE_CHARS = 300, 600, 120
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class PageCard:
    """What a page says about itself, cut to what a card shows."""

    title: str
    description: str
    site_name: str
    image_url: str | None  # absolute http(s), resolved against the page's address

    @property
    def is_empty(self) -> bool:
        """Nothing worth a card: no title and no description."""
        return not self.title and not self.description


def page_card(body: bytes, charset: str | None, page_url: str) -> PageCard:
    """The card of an HTML page given as the bytes read (possibly cut short)."""
    html = LexborHTMLParser(decoded(body, charset))

    def meta(*names: str) -> str:
        for name in names:
            for attribute in ("property", "name"):
                node = html.css_first(f'meta[{attribute}="{name}"][content]')
                if node is not None and (node.attributes.get("content") or "").strip():
                    return node.attributes.get("content") or ""
        return ""

    title_node = html.css_first("title")
    title = meta("og:title", "twitter:title") or (title_node.text() if title_node else "")
    image = meta("og:image:secure_url", "og:image", "og:image:url", "twitter:image",
                 "twitter:image:src")
    return PageCard(
        title=_clean(title, TITLE_CHARS),
        description=_clean(meta("og:description", "twitter:description", "description"),
                           DESCRIPTION_CHARS),
        site_name=_clean(meta("og:site_name", "application-name"), SITE_CHARS),
        image_url=normalized_url(urljoin(page_url, image.strip())) if image else None)


def decoded(body: bytes, charset: str | None) -> str:
    """The page's text: the charset its header names, else its <meta charset>, else UTF-8;
    an unknown charset counts as UTF-8 and bad bytes become U+FFFD."""
    named = charset or _meta_charset(body[:4096])
    try:
        codec = codecs.lookup(named or "utf-8").name
    except LookupError:
        codec = "utf-8"
    return body.decode(codec, errors="replace")


def _meta_charset(head: bytes) -> str | None:
    match = META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _clean(text: str, limit: int) -> str:
    text = SPACES.sub(" ", text).strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"

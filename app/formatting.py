"""Message text to safe HTML, once per text: a Markdown subset, :shortcodes: and @mentions.

markdown-it-py with raw HTML off does the parsing and escaping (no hand-written regexes over
HTML). The subset is what a chat needs: bold, italic, ~~strike~~, `code`, fenced code, quotes,
lists and links. Headings and rules are switched off (a line starting with "#" stays text);
images become plain links (no remote images in anyone's page); links get rel="noopener
nofollow" and open in a new tab; `javascript:` and `data:` links stay text (the library's
own URL validation). The result is the same for every viewer, so it is cached by text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import emoji
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

from app.mentions import MENTION

RENDER_CACHE_SIZE = 4096


def render_markdown(text: str) -> Markup:
    """The HTML for a message body (cached: a text renders once per process, not per view)."""
    return Markup(_render(text))


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def _render(text: str) -> str:
    return _PARSER.render(text).strip()


QUOTE_CHARS = 120


def plain_excerpt(text: str, limit: int = QUOTE_CHARS) -> str:
    """A message's text without its Markdown, on one line and cut to `limit` characters
    (a reply's quote of it). Plain text: the template escapes it."""
    words = plain_text(text)
    return words if len(words) <= limit else words[:limit - 1].rstrip() + "…"


def plain_text(text: str) -> str:
    """A message's text as people see it, without its Markdown: :shortcodes: as emoji, one
    line (a search result's excerpt). Plain text: the caller escapes it."""
    return " ".join(_plain(text).split())


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def _plain(text: str) -> str:
    parts: list[str] = []
    for block in _PLAIN_PARSER.parse(text):
        if block.type in ("fence", "code_block"):
            parts.append(block.content)
        for token in block.children or []:
            if token.type == "text":
                parts.append(emoji.emojize(token.content, language="alias"))
            elif token.type == "code_inline":
                parts.append(token.content)
            elif token.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        parts.append(" ")
    return "".join(parts)


def _link_open(renderer: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", "noopener nofollow")
    tokens[idx].attrSet("target", "_blank")
    return str(renderer.renderToken(tokens, idx, options, env))


def _image_as_link(renderer: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    """![alt](url) becomes a link to url whose text is the alt text (or the url)."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    label = renderer.renderInlineAsText(token.children or [], options, env) or src
    return (f'<a href="{escape(src)}" rel="noopener nofollow" target="_blank">'
            f"{escape(label)}</a>")


def _shortcodes_and_mentions(state: Any) -> None:
    """Turn :shortcode: into emoji and wrap @name in a span, in plain text only (not in code
    or inside a link's text)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            in_link += token.type == "link_open"
            in_link -= token.type == "link_close"
            if token.type != "text" or in_link:
                children.append(token)
                continue
            children.extend(_split_mentions(emoji.emojize(token.content, language="alias")))
        block.children = children


def _split_mentions(text: str) -> list[Token]:
    """Text tokens with each @name replaced by a ready-made span (same for every viewer)."""
    out: list[Token] = []
    last = 0
    for match in MENTION.finditer(text):
        name = match.group(1).rstrip(".")
        out.append(_text(text[last:match.start()]))
        html = Token("html_inline", "", 0)
        html.content = (f'<span class="mention" data-username="{escape(name.lower())}">'
                        f"@{escape(name)}</span>")
        out.append(html)
        last = match.start() + 1 + len(name)
    out.append(_text(text[last:]))
    return [token for token in out if token.type != "text" or token.content]


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _parser(*, html_rules: bool = True) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    md.enable(["strikethrough", "linkify"])
    md.disable(["heading", "lheading", "hr"])
    if html_rules:
        md.add_render_rule("link_open", _link_open)
        md.add_render_rule("image", _image_as_link)
        # Before text_join: an escaped "\@" is still its own token there, so it starts no mention.
        md.core.ruler.before("text_join", "shortcodes_and_mentions", _shortcodes_and_mentions)
    return md


_PARSER = _parser()
_PLAIN_PARSER = _parser(html_rules=False)  # plain_excerpt reads its text tokens as written

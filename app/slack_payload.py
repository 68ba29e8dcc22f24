"""Slack incoming-webhook payloads as Parley Markdown: mrkdwn, Block Kit blocks, attachments.

A payload becomes one Markdown text, stored as the message body, so every place that shows a
message (page, socket, search, export, e-mail) shows it the same way. What Slack formats is
translated; everything else in the payload's strings is escaped, so a payload can add no link,
no formatting and no mention beyond what its mrkdwn asked for (a plain "@name" stays a
mention, as with Slack's `link_names`). No HTML is ever produced: the renderer's Markdown
subset is the whole vocabulary.

- mrkdwn: *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes, <url|label> links,
  <@name> (a mention when that name is a member of the room, else the name as text),
  <#C1|general> as "#general", <!here>/<!channel>/<!everyone> as bold "@here" (Parley has no
  room-wide mention: nobody is notified), and &amp; &lt; &gt; decoded.
- blocks: section (text, fields, an image or button accessory), header, context, divider,
  image (a link), actions (buttons with a URL as links), rich_text, video (a link).
- attachments: a quoted card with a coloured dot for its colour, pretext above it, author,
  title and link, text, fields, image link, footer and time.
When blocks are given, `text` is only their notification fallback, as in Slack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from app.errors import InvalidInput
from app.mentions import MENTION

LINK_SCHEMES = ("http://", "https://", "mailto:", "ftp://")
DIVIDER = "———"


class PayloadRefused(InvalidInput):
    """A payload Slack would refuse too: `code` is Slack's word for it, `str()` says why."""

    def __init__(self, code: str, explanation: str) -> None:
        super().__init__({"payload": explanation})
        self.code = code


def payload_markdown(payload: dict[str, Any], members: Iterable[str] = (),
                     names: Mapping[str, str] | None = None) -> str:
    """The message body for a Slack payload; `members` are the room's usernames (any case).
    `names` resolves Slack's ids to names (an export's <@U024BE7LH> and <#C024BE7LH>).

    Raises PayloadRefused for wrongly typed fields or a payload with nothing to show.
    """
    text = _field(payload, "text", str)
    blocks = _field(payload, "blocks", list)
    attachments = _field(payload, "attachments", list)
    mrkdwn = Mrkdwn({name.lower() for name in members}, names)
    parts = [mrkdwn.blocks(blocks)] if blocks else []
    if not any(parts) and text:
        parts = [mrkdwn.text(text)]
    parts += [mrkdwn.attachment(item) for item in attachments or [] if isinstance(item, dict)]
    body = "\n\n".join(part for part in parts if part.strip())
    if not body.strip():
        raise PayloadRefused("no_text", 'the payload has nothing to show: send "text" (mrkdwn), '
                             'or "blocks" or "attachments" that hold some text.')
    return body


def _field(payload: dict[str, Any], key: str, kind: type) -> Any:
    value = payload.get(key)
    if value is None or isinstance(value, kind):
        return value
    raise PayloadRefused("invalid_payload", f'"{key}" must be a {_KIND_NAMES[kind]}.')


_KIND_NAMES: dict[type, str] = {str: "string", list: "list", dict: "object"}

# Markdown's punctuation that could start a construct inside a line.
_SPECIAL = re.compile(r"([\\`*_~\[\]<>&])")
_FENCE = re.compile(r"```(.*?)```", re.S)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_ANGLE = re.compile(r"<([^<>\n]*)>")
_BARE_URL = re.compile(r"\b(?:https?|ftp)://(?:(?!&[lg]t;)[^\s<>])*(?!&[lg]t;)[^\s<>.,;:!?)'\"*_~]")
# A span never holds its own marker, so each try stops at the next one (linear, not quadratic).
_EMPHASIS = re.compile(r"(?<![\w*_~\\])(?:\*(?=\S)([^*]+?)(?<=\S)\*|_(?=\S)([^_]+?)(?<=\S)_"
                       r"|~(?=\S)([^~]+?)(?<=\S)~)(?![\w*_~])")
NESTING_MAX = 8  # emphasis in emphasis, lists in lists: deeper is shown as plain text
# Slack has no lists: "- item" and "1. step" stay as written, so a list cannot swallow the
# lines after it.
_LIST_MARKER = re.compile(r"^(\d*)([-+.)])(?=\s|$)")
_HELD = re.compile("\x00(\\d+)\x00")
_MARKS = ("**", "*", "~~")  # Slack's *bold*, _italic_, ~strike~ in Markdown
_ROOM_WIDE = {"here", "channel", "everyone"}
_COLOURS = {"good": "🟢", "warning": "🟡", "danger": "🔴"}


def escape(text: str) -> str:
    """Plain text as Markdown that shows exactly that text: no link, no formatting."""
    return _SPECIAL.sub(r"\\\1", text)


def _unescape(text: str) -> str:
    """Slack escapes exactly these three in text; `&amp;` last so "&amp;lt;" stays "&lt;"."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Mrkdwn:
    """One payload's translation: knows the room's members for <@name>, and the names of
    Slack's user and channel ids when it has them (an export's)."""

    def __init__(self, members: set[str], names: Mapping[str, str] | None = None) -> None:
        self.members = members
        self.names = names or {}

    # -- mrkdwn text ---------------------------------------------------------------------------

    def text(self, source: str) -> str:
        """mrkdwn (a message's text, a field, a section) as Markdown."""
        source = source.replace("\x00", "")
        out: list[str] = []
        last = 0
        for match in _FENCE.finditer(source):
            out.append(self._lines(source[last:match.start()]))
            out.append(_fence(_unescape(match.group(1).strip("\n"))))
            last = match.end()
        out.append(self._lines(source[last:]))
        return "".join(out).strip("\n")

    def plain(self, source: str) -> str:
        """A plain_text object: shown as written."""
        return escape(source)

    def _lines(self, source: str) -> str:
        lines: list[str] = []
        quote_rest = False
        for line in source.split("\n"):
            quoted = quote_rest
            for marker, rest in (("&gt;&gt;&gt;", True), (">>>", True), ("&gt;", False), (">", False)):
                if line.startswith(marker):
                    quoted, quote_rest = True, quote_rest or rest
                    line = line[len(marker):]
                    break
            # Up to 3 spaces of indent (nested lists); 4 would make a code block in Markdown.
            indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))
            line = " " * min(indent, 3) + _LIST_MARKER.sub(r"\1\\\2", self.inline(line.lstrip(" \t")))
            if lines and not quoted and lines[-1].startswith(">"):
                lines.append("")  # else Markdown would carry the quote on to this line
            lines.append(f"> {line.lstrip()}" if quoted else line)
        return "\n".join(lines)

    def inline(self, line: str) -> str:
        """One line of mrkdwn as Markdown: code, <links>, bare URLs, then emphasis around them."""
        held: list[str] = []

        def hold(markdown: str) -> str:
            held.append(markdown)
            return f"\x00{len(held) - 1}\x00"

        line = _CODE_SPAN.sub(lambda m: hold(_code_span(_unescape(m.group(1)))), line)
        line = _ANGLE.sub(lambda m: hold(self._angle(m.group(1))), line)
        line = _BARE_URL.sub(lambda m: hold(link(_unescape(m.group()), _unescape(m.group()))), line)
        return _HELD.sub(lambda m: held[int(m.group(1))], self._emphasis(line))

    def _emphasis(self, text: str, depth: int = 0) -> str:
        out: list[str] = []
        last = 0
        for match in _EMPHASIS.finditer(text) if depth < NESTING_MAX else ():
            kind = next(i for i, group in enumerate(match.groups()) if group is not None)
            out.append(escape(_unescape(text[last:match.start()])))
            inner = self._emphasis(match.group(kind + 1), depth + 1)
            out.append(f"{_MARKS[kind]}{inner}{_MARKS[kind]}")
            last = match.end()
        out.append(escape(_unescape(text[last:])))
        return "".join(out)

    def _angle(self, inner: str) -> str:
        """<...>: a link, a user, a channel or a special command."""
        target, _, label = inner.partition("|")
        label = _unescape(label)
        if target.startswith("@"):
            return self.user(label or target[1:])
        if target.startswith("#"):
            return escape("#" + (label or self.names.get(target[1:], target[1:])))
        if target.startswith("!"):
            command = target[1:].split("^")[0]
            if command in _ROOM_WIDE:
                return room_wide(command)
            return escape(label or command).replace("@", "\\@")  # a user group: no one here
        url = _unescape(target)
        if url.lower().startswith(LINK_SCHEMES):
            return link(label or url, url)
        return escape(f"<{_unescape(inner)}>")

    def user(self, name: str) -> str:
        """<@name>: a mention when a member has that name, else the name as plain text."""
        name = name.lstrip("@")
        name = self.names.get(name, name)
        if name.lower() in self.members and MENTION.fullmatch(f"@{name}"):
            return f"@{name}"
        return "\\@" + escape(name) if MENTION.fullmatch(f"@{name}") else escape(name)

    # -- blocks --------------------------------------------------------------------------------

    def blocks(self, blocks: list[Any]) -> str:
        parts = [self.block(block) for block in blocks if isinstance(block, dict)]
        return "\n\n".join(part for part in parts if part)

    def block(self, block: dict[str, Any]) -> str:
        render = self._BLOCKS.get(str(block.get("type")))
        return render(self, block).strip("\n") if render else ""

    def text_object(self, obj: Any) -> str:
        """A composition text object ({"type": "mrkdwn"|"plain_text", "text": ...})."""
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            return ""
        return self.text(obj["text"]) if obj.get("type") == "mrkdwn" else self.plain(obj["text"])

    def _section(self, block: dict[str, Any]) -> str:
        lines = [self.text_object(block.get("text"))]
        fields = block.get("fields")
        if isinstance(fields, list):
            lines.append(_bullets(self.text_object(field) for field in fields))
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            lines.append(self._element(accessory))
        return "\n\n".join(line for line in lines if line)

    def _header(self, block: dict[str, Any]) -> str:
        title = self.text_object(block.get("text"))
        return f"**{title}**" if title else ""

    def _context(self, block: dict[str, Any]) -> str:
        elements = block.get("elements")
        if not isinstance(elements, list):
            return ""
        shown = [self._context_element(element) for element in elements]
        return " · ".join(part.replace("\n", " ") for part in shown if part)

    def _context_element(self, element: Any) -> str:
        if isinstance(element, dict) and element.get("type") == "image":
            return escape(_string(element, "alt_text"))
        return self.text_object(element)

    def _divider(self, block: dict[str, Any]) -> str:
        return DIVIDER

    def _image(self, block: dict[str, Any]) -> str:
        url = _string(block, "image_url")
        title = self.text_object(block.get("title")) if block.get("title") else ""
        return _image_link(url, title or escape(_string(block, "alt_text") or url))

    def _actions(self, block: dict[str, Any]) -> str:
        elements = block.get("elements")
        if not isinstance(elements, list):
            return ""
        return " · ".join(part for part in map(self._element, elements) if part)

    def _element(self, element: Any) -> str:
        """An accessory or action: a button with a URL or an image becomes a link."""
        if not isinstance(element, dict):
            return ""
        if element.get("type") == "image":
            url = _string(element, "image_url")
            return _image_link(url, escape(_string(element, "alt_text") or url))
        url = _string(element, "url")
        label = self.text_object(element.get("text")) or escape(url)
        return _link_markdown(label, url) if _linkable(url) else ""

    def _video(self, block: dict[str, Any]) -> str:
        url = _string(block, "title_url") or _string(block, "video_url")
        label = self.text_object(block.get("title")) or escape(url)
        return f"🎬 {_link_markdown(label, url)}" if _linkable(url) else ""

    def _rich_text(self, block: dict[str, Any]) -> str:
        elements = block.get("elements")
        if not isinstance(elements, list):
            return ""
        return "\n\n".join(part for part in map(self._rich_element, elements) if part)

    def _rich_element(self, element: Any, depth: int = 0) -> str:
        if not isinstance(element, dict) or depth > NESTING_MAX:
            return ""
        kind = element.get("type")
        children: list[Any] = _list(element, "elements")
        if kind == "rich_text_preformatted":
            return _fence("".join(_string(child, "text") for child in children
                                  if isinstance(child, dict)))
        if kind == "rich_text_list":
            indent = "  " * min(_int(element.get("indent")), 8)
            ordered = element.get("style") == "ordered"
            items = [self._rich_element(child, depth + 1) for child in children]
            return "\n".join(f"{indent}{f'{n}.' if ordered else '-'} {item.replace(chr(10), ' ')}"
                             for n, item in enumerate(items, 1) if item)
        text = "".join(self._rich_piece(child) for child in children)
        if kind == "rich_text_quote":
            return "\n".join(f"> {line}" for line in text.split("\n"))
        return text

    def _rich_piece(self, piece: Any) -> str:
        """One element of a rich_text_section: styled text, a link, a user, an emoji..."""
        if not isinstance(piece, dict):
            return ""
        kind = piece.get("type")
        if kind == "text":
            text = _string(piece, "text")
            style: dict[str, Any] = piece["style"] if isinstance(piece.get("style"), dict) else {}
            if style.get("code"):
                return _code_span(text)
            shown = "\n".join(escape(line) for line in text.split("\n"))
            core = shown.strip()
            for key, mark in (("strike", "~~"), ("italic", "*"), ("bold", "**")):
                if style.get(key) and core:
                    core = f"{mark}{core}{mark}"  # markers hug the words, or Markdown ignores them
            start = len(shown) - len(shown.lstrip())
            return shown[:start] + core + shown[start + len(shown.strip()):]
        if kind == "link":
            url = _string(piece, "url")
            return link(_string(piece, "text") or url, url) if _linkable(url) else ""
        if kind == "user":
            return self.user(_string(piece, "user_id"))
        if kind == "channel":
            channel = _string(piece, "channel_id")
            return escape("#" + self.names.get(channel, channel))
        if kind == "broadcast":
            return room_wide(_string(piece, "range")) if piece.get("range") in _ROOM_WIDE else ""
        if kind == "emoji":
            name = _string(piece, "name")
            return f":{name}:" if re.fullmatch(r"[\w+-]+", name) else ""
        return ""

    _BLOCKS: dict[str, Callable[[Mrkdwn, dict[str, Any]], str]] = {
        "section": _section, "header": _header, "context": _context, "divider": _divider,
        "image": _image, "actions": _actions, "video": _video, "rich_text": _rich_text,
    }

    # -- legacy attachments --------------------------------------------------------------------

    def attachment(self, item: dict[str, Any]) -> str:
        """A legacy attachment: pretext, then a quoted card (colour dot, title, fields...)."""
        card = [self._author(item), self._title(item), self.text(_string(item, "text"))]
        fields = item.get("fields")
        if isinstance(fields, list):
            card.append(_bullets(self._field(field) for field in fields))
        if isinstance(item.get("blocks"), list):
            card.append(self.blocks(item["blocks"]))
        for key in ("image_url", "thumb_url"):
            url = _string(item, key)
            if _linkable(url):
                card.append(f"🖼️ {_link_markdown(escape(url), url)}")
        card.append(self._footer(item))
        card = [part for part in card if part]
        if not card and _string(item, "fallback"):
            card = [self.text(_string(item, "fallback"))]
        dot = _colour_dot(_string(item, "color"))
        if card and dot:
            card[0] = f"{dot} {card[0]}"
        pretext = self.text(_string(item, "pretext"))
        # Parts are paragraphs of the card, so a list never swallows the footer after it.
        quoted = "\n".join(f"> {line}" if line else ">" for line in "\n\n".join(card).split("\n"))
        return "\n\n".join(part for part in (pretext, quoted if card else "") if part)

    def _author(self, item: dict[str, Any]) -> str:
        name = escape(_string(item, "author_name"))
        url = _string(item, "author_link")
        return (_link_markdown(name, url) if _linkable(url) else name) if name else ""

    def _title(self, item: dict[str, Any]) -> str:
        title = escape(_string(item, "title").replace("\n", " "))
        url = _string(item, "title_link")
        if not title:
            return ""
        return f"**{_link_markdown(title, url)}**" if _linkable(url) else f"**{title}**"

    def _field(self, field: Any) -> str:
        if not isinstance(field, dict):
            return ""
        title = escape(_string(field, "title").replace("\n", " "))
        value = self.text(_string(field, "value"))
        if title and value:
            return f"**{title}**: {value}" if "\n" not in value else f"**{title}**\n{value}"
        return f"**{title}**" if title else value

    def _footer(self, item: dict[str, Any]) -> str:
        footer = self.text(_string(item, "footer")).replace("\n", " ")
        stamp = item.get("ts")
        when = ""
        if isinstance(stamp, (int, float, str)) and str(stamp).replace(".", "", 1).isdigit():
            try:
                when = datetime.fromtimestamp(float(stamp), UTC).strftime("%Y-%m-%d %H:%M UTC")
            except (OverflowError, OSError, ValueError):
                when = ""
        return " · ".join(part for part in (footer, when) if part)


def link(label: str, url: str) -> str:
    """A Markdown link to `url` whose text is the plain `label`."""
    return _link_markdown(escape(label.replace("\n", " ")), url)


def _link_markdown(label_markdown: str, url: str) -> str:
    # <...> destinations take spaces and parentheses; <, > and newlines cannot be in one.
    safe = re.sub(r"[<>\s]", lambda m: f"%{ord(m.group()):02X}", url)
    return f"[{label_markdown}](<{safe}>)"


def _linkable(url: str) -> bool:
    return url.lower().startswith(LINK_SCHEMES)


def room_wide(name: str) -> str:
    """<!here>, <!channel>, <!everyone>: shown in bold; Parley has no room-wide mention."""
    return f"**\\@{name}**"


def _fence(code: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"\n{fence}\n{code}\n{fence}\n"


def _code_span(code: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    ticks = "`" * (longest + 1)
    padded = f" {code} " if code.startswith("`") or code.endswith("`") else code
    return f"{ticks}{padded}{ticks}"


def _bullets(items: Iterable[str]) -> str:
    """A Markdown list, each item's further lines indented under it."""
    return "\n".join("- " + item.replace("\n", "\n  ") for item in items if item)


def _string(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else ""


def _list(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj.get(key)
    return value if isinstance(value, list) else []


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _colour_dot(colour: str) -> str:
    """An attachment's colour as the nearest coloured circle (Markdown cannot colour a bar)."""
    if colour.lower() in _COLOURS:
        return _COLOURS[colour.lower()]
    match = re.fullmatch(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})", colour.strip())
    if not match:
        return ""
    digits = match.group(1) if len(match.group(1)) == 6 else "".join(c * 2 for c in match.group(1))
    red, green, blue = (int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))
    high, low = max(red, green, blue), min(red, green, blue)
    if high - low < 0.15:
        return "⚪" if high > 0.4 else "⚫"
    if high == red:
        hue = (60 * (green - blue) / (high - low)) % 360
    elif high == green:
        hue = 60 * (blue - red) / (high - low) + 120
    else:
        hue = 60 * (red - green) / (high - low) + 240
    for limit, dot in ((15, "🔴"), (40, "🟠"), (70, "🟡"), (170, "🟢"), (260, "🔵"), (330, "🟣")):
        if hue < limit:
            return dot
    return "🔴"


def _image_link(url: str, label: str) -> str:
    """An image as a link to it (never shown inline: no remote images in anyone's page)."""
    return f"🖼️ {_link_markdown(label, url)}" if _linkable(url) else ""

"""JSON from outside (request bodies, form fields holding JSON, WebSocket frames), read safely.

`json.loads` alone lets a sender break the request that reads it: thirty thousand nested
brackets overflow Python's stack (RecursionError), "\\u0000" and a lone surrogate "\\ud800" are
strings PostgreSQL refuses to store (or UTF-8 to encode), and 1e400 is an infinite float that
`int()` cannot take (OverflowError). `read_json` refuses each of them with `UnreadableJson`,
whose message says what was wrong, so every caller answers 400 (or ignores a frame) instead.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32  # our own payloads nest three levels; Slack's attachments a few more
INT_LIMIT = 2**53  # what a browser's numbers hold exactly
CANNOT_STORE = ("The text contains characters we cannot store: a NUL character (\\u0000) or "
                "half of a surrogate pair (\\ud800 to \\udfff). Remove them and send it again.")
# A JSON string (skipped whole, brackets inside it do not count) or one bracket.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnreadableJson(ValueError):
    """JSON that was refused; the message says why, for the person or script that sent it."""


def read_json(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """The value `text` holds, or UnreadableJson: invalid, nested deeper than `max_depth`,
    with a number that is not finite or not within ±2^53, or with a string (or key) holding
    a NUL character or a lone surrogate."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableJson("The JSON is not UTF-8 text.") from None
    _refuse_deep_nesting(text, max_depth)
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                           parse_int=_bounded_int)
    except UnreadableJson:
        raise
    except json.JSONDecodeError as exc:  # say where it broke: the sender is often a script
        raise UnreadableJson(f"The body is not valid JSON ({exc.msg} at line {exc.lineno}, "
                             f"column {exc.colno}).") from None
    except (ValueError, RecursionError):  # RecursionError: only if MAX_DEPTH is ever raised a lot
        raise UnreadableJson("The body is not valid JSON.") from None
    _refuse_unstorable_strings(value)
    return value


def storable_text(text: str) -> bool:
    """False for text PostgreSQL cannot store (NUL) or UTF-8 cannot encode (lone surrogates)."""
    return _UNSTORABLE.search(text) is None


def _refuse_deep_nesting(text: str, max_depth: int) -> None:
    depth = 0
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise UnreadableJson(f"The JSON is nested too deeply: at most {max_depth} "
                                     "levels of arrays and objects.")
        elif bracket in "]}":
            depth -= 1


def _refuse_constant(name: str) -> Any:
    raise UnreadableJson(f"The JSON holds {name}, which is not a number JSON allows.")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise UnreadableJson(f"The number {literal[:20]} is too large.")
    return number


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > 16 or abs(number := int(literal)) > INT_LIMIT:
        raise UnreadableJson(f"The number {literal[:20]} is too large: whole numbers must lie "
                             "within ±2^53.")
    return number


def _refuse_unstorable_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not storable_text(item):
                raise UnreadableJson(CANNOT_STORE)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)

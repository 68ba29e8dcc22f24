"""Hostile values in every parameter of every route: never a 500, always a reason.

Like the authorization matrix, the routes come from `app.url_map`; the parameter names come
from the code itself (every `.get("…")`, `int_arg("…")` and `text_arg("…")` under app/), so a
new route or a new form field is walked without editing this file. Each value goes into the
path parameters, then into every query argument and form field at once, as the room's owner
(the persona who reaches the most code).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from quart import Quart

from tests.helpers import Person, soup
from tests.live import SocketClosed, next_frame
from tests.test_authorization_matrix import MATRIX, _private_room_world, fill_path

APP_DIR = Path(__file__).resolve().parent.parent / "app"
HOSTILE: dict[str, bytes] = {
    "huge integer": b"99999999999999999999",
    "negative integer": b"-5",
    "NUL": b"a\x00b",
    "invalid UTF-8": b"\xff\xfe\xc3(",
    "100 kB": b"x" * 100_000,
    "CR/LF": b"/a\r\nSet-Cookie: x=1",
}
WS_INVALID = 1007
REQUEST_BYTES = 900_000  # forms are held to 1 MiB; the 100 kB value goes a few names at a time
REASON = ".error-page p, .field-error, .form-error, .search-error, #composer-error"
ROUTES = sorted(key for key in MATRIX if key[0] != "WS")


def parameter_names() -> list[str]:
    """Every query argument and form field name the app reads."""
    pattern = re.compile(r"""(?:\.get|int_arg|text_arg)\(\s*["']([a-z][a-z_]*)["']""")
    names = {name for path in APP_DIR.rglob("*.py") for name in pattern.findall(path.read_text())}
    return sorted(names - {"csrf_token"})


def test_the_walk_reaches_the_parameters_that_broke_before() -> None:
    assert {"after", "before", "changes", "room", "q", "author", "username", "body", "name",
            "topic", "email", "next", "seq", "envelope"} <= set(parameter_names())


@pytest.mark.parametrize(("method", "rule"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
async def test_no_hostile_value_gets_a_500_and_every_refusal_says_why(app: Quart, method: str,
                                                                      rule: str) -> None:
    names = parameter_names()
    world = await _private_room_world(app)
    owner: Person = world["owner"]

    for label, raw in HOSTILE.items():
        if "<" in rule:
            path = _fill(rule, world, hostile=raw)
            await _check(owner, method, path, b"", label, "in the path")
        per_request = max(1, REQUEST_BYTES // len(_quoted(raw)))  # stay under the body limit
        for start in range(0, len(names), per_request):
            query = b"&".join(n.encode() + b"=" + _quoted(raw)
                              for n in names[start:start + per_request])
            path = _fill(rule, world) + "?" + query.decode()
            await _check(owner, method, path, query, label, "in every argument")


@pytest.mark.parametrize("label", HOSTILE)
async def test_a_hostile_socket_argument_closes_it_as_invalid(app: Quart, label: str) -> None:
    world = await _private_room_world(app)
    owner: Person = world["owner"]

    for name in ("room",):
        async with owner.client.websocket(f"/ws?{name}={_quoted(HOSTILE[label]).decode()}") as ws:
            with pytest.raises(SocketClosed) as closed:
                await next_frame(ws)
        assert closed.value.code == WS_INVALID, (name, label)


async def _check(person: Person, method: str, path: str, form: bytes, label: str,
                 where: str) -> None:
    if method == "GET":
        response = await person.get(path)
    else:
        body = b"csrf_token=" + (await person.csrf()).encode() + (b"&" + form if form else b"")
        response = await person.client.post(path, data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
    status = response.status_code
    text = (await response.get_data()).decode(errors="replace")

    assert status < 500, f"{method} {path[:120]} with {label} {where}: {status}\n{text[:2000]}"
    if status >= 400:
        assert _reason(text), f"{method} {path[:120]} with {label} {where}: {status} says nothing"


def _reason(text: str) -> str:
    """What the refusal tells the person: the error page's or the form's message."""
    if text.lstrip().startswith("{"):  # the JSON routes: {"errors": {field: message}}
        return text
    found = " ".join(node.get_text(" ", strip=True) for node in soup(text).select(REASON))
    if not found and "<" not in text:  # a bare sentence (htmx)
        found = text
    return found.strip()


def _fill(rule: str, world: dict, hostile: bytes | None = None) -> str:
    """The rule with the world's ids and tokens, or every parameter set to `hostile`."""
    if hostile is not None:
        return re.sub(r"<[^>]+>", _quoted(hostile).decode(), rule)
    return fill_path(rule, world)


def _quoted(raw: bytes) -> bytes:
    return quote_from_bytes(raw, safe="").encode()

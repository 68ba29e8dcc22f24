"""Hostile values in every parameter of every route: never a 500, always a reason.

Like the authorization matrix, the routes come from `app.url_map`; the parameter names come
from the code itself (every `.get("…")`, `int_arg("…")` and `text_arg("…")` under app/), so a
new route or a new form field is walked without editing this file. Each value goes into the
path parameters, then into every query argument and form field at once, as the room's owner
(the persona who reaches the most code). Hostile JSON goes as the body of every POST route and
into every form field (webhook payloads, sealed envelopes), and as WebSocket frames.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from quart import Quart

from app.models import Membership, Room
from tests.helpers import Person, sealed_envelope, soup
from tests.live import SocketClosed, next_frame, ready, socket
from tests.mailbox import eventually
from tests.test_authorization_matrix import (
    MATRIX,
    _direct_room,
    _private_room_world,
    fill_path,
)

APP_DIR = Path(__file__).resolve().parent.parent / "app"
HOSTILE: dict[str, bytes] = {
    "huge integer": b"99999999999999999999",
    "negative integer": b"-5",
    "NUL": b"a\x00b",
    "invalid UTF-8": b"\xff\xfe\xc3(",
    "100 kB": b"x" * 100_000,
    "CR/LF": b"/a\r\nSet-Cookie: x=1",
}
# JSON that broke the parsers before: a RecursionError, text PostgreSQL cannot store, an
# OverflowError; each in the shapes our JSON readers expect (a webhook's {"text": ...}, an
# envelope's {"v": 2, ...}, a frame's {"type": ...}).
HOSTILE_JSON: dict[str, bytes] = {
    "nested 30,000 deep": b'{"text": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
    "nested objects": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "NUL in text": b'{"text": "a\\u0000b", "type": "a\\u0000b", "v": 2}',
    "lone surrogate": b'{"text": "\\ud800", "type": "\\udfff", "v": 2}',
    "surrogate key": b'{"\\ud800": 1, "text": "ok"}',
    "1e400": b'{"v": 2, "sender_key": 1e400, "seq": 1e400, "text": "x", "keys": []}',
    "huge integer": b'{"v": 2, "sender_key": ' + b"9" * 5000 + b', "keys": [], "seq": 1}',
    "NaN": b'{"v": 2, "sender_key": NaN, "seq": Infinity, "text": "x", "keys": []}',
    "not an object": b'[1, 2, 3]',
    "invalid UTF-8": b'{"text": "\xff\xfe"}',
}
WS_INVALID = 1007
REQUEST_BYTES = 900_000  # forms are held to 1 MiB; the 100 kB value goes a few names at a time
REASON = ".error-page p, .field-error, .form-error, .search-error, #composer-error"
ROUTES = sorted(key for key in MATRIX if key[0] != "WS")
POST_ROUTES = [key for key in ROUTES if key[0] == "POST"]


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
    await _check_response(response, method, path, label, where)


async def _check_response(response: Any, method: str, path: str, label: str,
                          where: str) -> None:
    status = response.status_code
    text = (await response.get_data()).decode(errors="replace")

    assert status < 500, f"{method} {path[:120]} with {label} {where}: {status}\n{text[:2000]}"
    if status >= 400:
        assert _reason(text), f"{method} {path[:120]} with {label} {where}: {status} says nothing"


@pytest.mark.parametrize(("method", "rule"), POST_ROUTES, ids=[r for _, r in POST_ROUTES])
async def test_no_hostile_json_body_or_field_gets_a_500(app: Quart, method: str,
                                                        rule: str) -> None:
    world = await _private_room_world(app)
    owner: Person = world["owner"]
    path = _fill(rule, world)

    for label, raw in HOSTILE_JSON.items():
        token = await owner.csrf()
        response = await owner.client.post(path, data=raw, headers={
            "Content-Type": "application/json", "X-CSRF-Token": token})
        await _check_response(response, method, path, f"{label} JSON", "as the body")
        for form in _in_every_field(raw):
            await _check(owner, method, path, form, f"{label} JSON", "in every form field")


def _sealed_for_two(**raw_fields: str) -> bytes:
    """A well-formed envelope for the two members, with `raw_fields` as raw JSON literals."""
    envelope = json.dumps(sealed_envelope(1, [1, 2]))
    for name, literal in raw_fields.items():
        envelope = envelope.replace(f'"{name}": 1', f'"{name}": {literal}', 1)
    return envelope.encode()


HOSTILE_ENVELOPES = {**HOSTILE_JSON,
                     "1e400 sender key": _sealed_for_two(sender_key="1e400"),
                     "huge key id": _sealed_for_two(key="1" + "0" * 30),
                     "Arabic-Indic key id": _sealed_for_two(sender_key='"\u0664"')}


@pytest.mark.parametrize("label", HOSTILE_ENVELOPES)
async def test_a_hostile_envelope_is_refused_with_a_reason(app: Quart, label: str) -> None:
    world = await _private_room_world(app)
    direct = await _direct_room(world)
    owner: Person = world["owner"]
    path = f"/rooms/{direct['room_id']}/messages"

    response = await owner.post(path, {
        "envelope": HOSTILE_ENVELOPES[label].decode(errors="replace"), "client_msg_id": "x1"})

    text = await response.get_data(as_text=True)
    assert response.status_code == 400, f"{label}: {response.status_code}\n{text[:2000]}"
    assert _reason(text), label


async def test_hostile_socket_frames_are_ignored_and_the_socket_reads_on(app: Quart) -> None:
    world = await _private_room_world(app)
    member: Person = world["member"]
    room_id = world["room_id"]

    for label, raw in {**HOSTILE_JSON, "binary NUL": b"\x00"}.items():
        await world["say"](world["users"]["alice"])
        seq = (await Room.get(id=room_id)).last_seq
        async with socket(member, room_id) as ws:  # its own socket: each has its own rate limit
            await ready(ws)
            await ws.send(raw if label.startswith("binary") else raw.decode(errors="replace"))
            await ws.send(json.dumps({"type": "read", "seq": seq}))  # handled after it, in order

            await eventually(lambda: _read_up_to(member, room_id, seq))  # noqa: B023


async def _read_up_to(person: Person, room_id: int, seq: int) -> bool:
    membership = await Membership.get(room_id=room_id, user_id=person.user_id)
    return membership.last_read_seq == seq


def _in_every_field(raw: bytes) -> list[bytes]:
    """`raw` in every form field the app reads, a few names per request (under the limit)."""
    names = parameter_names()
    per_request = max(1, REQUEST_BYTES // len(_quoted(raw)))
    return [b"&".join(n.encode() + b"=" + _quoted(raw) for n in names[i:i + per_request])
            for i in range(0, len(names), per_request)]


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

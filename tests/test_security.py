"""CSRF, same-origin checks, security headers and the priority of password hashing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from dataclasses import replace
from urllib.parse import quote

import pytest
from argon2 import extract_parameters, profiles
from quart import Quart

from app.models import Message, Room
from config.settings import settings_of
from tests.helpers import Person, select_one
from tests.server import ROOT

# What a Parley process (not this test session: see cheap_password_hashing) does with a password.
HASH_IN_A_FRESH_PROCESS = """
import json
from app.security import hash_password, verify_password
stored = hash_password("correct horse battery")
print(json.dumps([stored, verify_password(stored, "correct horse battery"),
                  verify_password(stored, "wrong horse battery"), verify_password(None, "x")]))
"""


async def test_a_post_without_the_csrf_token_is_refused(alice: Person) -> None:
    response = await alice.client.post("/rooms", form={"name": "sneaky"})

    assert response.status_code == 403
    assert not await Room.exists(name="sneaky")


async def test_a_post_with_a_wrong_csrf_token_is_refused(alice: Person, room_id: int) -> None:
    response = await alice.client.post(f"/rooms/{room_id}/messages",
                                       form={"body": "x", "csrf_token": "forged"})

    assert response.status_code == 403
    assert await Message.all().count() == 0


async def test_htmx_sends_the_token_as_a_header(alice: Person, room_id: int) -> None:
    token = await alice.csrf()

    response = await alice.client.post(f"/rooms/{room_id}/messages", form={"body": "hi"},
                                       headers={"X-CSRF-Token": token, "HX-Request": "true"})

    assert response.status_code == 200


async def test_a_cross_site_post_is_refused_even_with_a_token(alice: Person, room_id: int) -> None:
    cross_site = await alice.say(room_id, "x", headers={"Sec-Fetch-Site": "cross-site"})
    foreign_origin = await alice.say(room_id, "x", headers={"Origin": "https://evil.example"})
    same_origin = await alice.say(room_id, "ok", headers={"Origin": "http://localhost",
                                                          "Sec-Fetch-Site": "same-origin"})

    assert cross_site.status_code == foreign_origin.status_code == 403
    assert same_origin.status_code == 303
    assert [m.body for m in await Message.all()] == ["ok"]


def test_a_parley_process_stores_argon2id_at_the_production_cost() -> None:
    child = subprocess.run([sys.executable, "-c", HASH_IN_A_FRESH_PROCESS], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    stored, right, wrong, nobody = json.loads(child.stdout.strip().splitlines()[-1])

    assert stored.startswith("$argon2id$")
    # argon2-cffi's default: RFC 9106's low-memory choice (3 passes over 64 MiB, 4 lanes).
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
    assert (right, wrong, nobody) == (True, False, False)


async def test_login_without_a_token_is_refused(alice: Person) -> None:
    response = await alice.client.post("/login", form={"username": "alice",
                                                       "password": "correct horse battery"})

    assert response.status_code == 403


async def test_pages_carry_security_headers(alice: Person) -> None:
    response = await alice.get("/rooms")

    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


async def test_signed_in_pages_and_fragments_are_never_kept_by_caches(alice: Person,
                                                                    room_id: int) -> None:
    await alice.say(room_id, "for members' eyes")
    paths = ["/rooms", f"/rooms/{room_id}", f"/rooms/{room_id}/messages?after=0", "/profile",
             "/admin", "/help", f"/rooms/{room_id}/nothing-here"]

    responses = {path: await alice.get(path) for path in paths}

    assert {path: r.headers.get("Cache-Control") for path, r in responses.items()} == \
        dict.fromkeys(paths, "no-store")
    assert responses[f"/rooms/{room_id}/nothing-here"].status_code == 404


async def test_static_files_and_signed_out_pages_keep_their_caching(app: Quart,
                                                                   alice: Person) -> None:
    stranger = Person(app, "stranger")

    static = await alice.get("/static/css/app.css")
    login = await stranger.get("/login")

    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    assert login.status_code == 200 and "Cache-Control" not in login.headers


@pytest.mark.parametrize("digits", ["\u0664", "\u0969", "\uff14", "\U0001d7dc"],
                         ids=["Arabic-Indic", "Devanagari", "fullwidth", "mathematical"])
async def test_ids_written_in_other_scripts_digits_are_not_found(alice: Person, room_id: int,
                                                                 digits: str) -> None:
    other = quote("".join(chr(ord(digits) - 4 + int(d)) for d in str(room_id)))

    assert (await alice.get(f"/rooms/{room_id}")).status_code == 200
    assert (await alice.get(f"/rooms/{other}")).status_code == 404
    assert (await alice.get(f"/rooms/{room_id}/messages?after={other}")).status_code == 400


async def test_a_request_for_a_foreign_host_name_is_refused_saying_why(alice: Person) -> None:
    rebound = await alice.get("/rooms", headers={"Host": "evil.example:8000"})
    ours = await alice.get("/rooms", headers={"Host": "127.0.0.1:8000"})

    assert rebound.status_code == 400
    assert "does not answer to the name “evil.example:8000”" in \
        select_one(await rebound.get_data(), ".error-page p").text
    assert ours.status_code == 200


async def test_a_websocket_for_a_foreign_host_name_is_refused(alice: Person) -> None:
    from quart.testing import WebsocketResponseError

    with pytest.raises(WebsocketResponseError) as refused:
        async with alice.client.websocket("/ws", headers={"Host": "evil.example"}) as ws:
            await ws.receive()

    assert refused.value.response.status_code == 400


async def test_the_dev_mailbox_is_refused_to_a_rebound_host_name(app: Quart, alice: Person,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    # chat.example.com is allowed (BASE_URL or ALLOWED_HOSTS) but is not this machine's name.
    settings = settings_of(app)
    monkeypatch.setitem(app.extensions, "settings",
                        replace(settings, allowed_hosts=("chat.example.com",)))

    rebound = await alice.get("/dev/mail", headers={"Host": "evil.example"})
    public_name = await alice.get("/dev/mail", headers={"Host": "chat.example.com"})
    loopback = await alice.get("/dev/mail", headers={"Host": "localhost:8000"})

    assert rebound.status_code == 400
    assert public_name.status_code == 404
    assert loopback.status_code == 200


async def test_the_origin_check_does_not_trust_the_host_header(app: Quart) -> None:
    from app.security import origin_allowed

    async with app.app_context():
        assert not origin_allowed("http://evil.example", "evil.example")
        assert origin_allowed("http://localhost:8000", "localhost:8000")
        assert not origin_allowed("http://localhost:9999", "localhost:8000")


def test_the_allowed_hosts_come_from_base_url_plus_loopback_in_development() -> None:
    from app.security import allowed_hosts

    assert allowed_hosts("https://chat.example.com") == {"chat.example.com"}
    assert allowed_hosts("https://chat.example.com", ("Chat.Internal ", "")) == \
        {"chat.example.com", "chat.internal"}
    assert allowed_hosts("http://127.0.0.1:8000") == {"localhost", "127.0.0.1", "::1"}
    assert allowed_hosts("http://0.0.0.0:8000") == {"0.0.0.0", "localhost", "127.0.0.1", "::1"}


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread nice is Linux's")
async def test_password_hashing_threads_run_at_the_lowest_priority_and_pass_it_on() -> None:
    """A hashing thread runs at nice 19, and so do the lane threads libargon2 starts from it
    (they inherit it as this one started here does); the event loop's thread keeps its own."""
    from app.security import _HASHING

    def nice_of_this_thread() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def priorities() -> tuple[int, int]:
        started: list[int] = []
        lane = threading.Thread(target=lambda: started.append(nice_of_this_thread()))
        lane.start()
        lane.join()
        return nice_of_this_thread(), started[0]

    own, lane = await asyncio.get_running_loop().run_in_executor(_HASHING, priorities)
    assert (own, lane) == (19, 19)
    assert nice_of_this_thread() < 19

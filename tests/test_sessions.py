"""Sessions are remembered per process, and forgotten the moment they end."""

from __future__ import annotations

import pytest
from quart import Quart

from app.actions.accounts import revoke_sessions
from app.models import Session, User
from app.session_cache import MISSING, SessionCache
from tests.helpers import Person
from tests.live import SocketClosed, next_frame, registered, socket


def _user(user_id: int) -> User:
    return User(id=user_id, username=f"u{user_id}", username_key=f"u{user_id}")


def test_the_cache_forgets_a_users_sessions_and_keeps_the_others() -> None:
    cache = SessionCache()
    cache.put("a1", _user(1))
    cache.put("a2", _user(1))
    cache.put("b1", _user(2))

    cache.forget_user(1)

    assert cache.get("a1") is MISSING and cache.get("a2") is MISSING
    assert cache.get("b1").id == 2  # type: ignore[union-attr]


def test_the_cache_is_bounded_and_entries_expire() -> None:
    cache = SessionCache(max_entries=2, ttl=-1)
    cache.put("a", _user(1))

    assert cache.get("a") is MISSING  # past its time
    bounded = SessionCache(max_entries=2)
    for sid in ("a", "b", "c"):
        bounded.put(sid, _user(1))
    assert bounded.get("a") is MISSING and bounded.get("c") is not MISSING


async def test_a_cached_session_stops_working_at_logout(app: Quart, alice: Person) -> None:
    cookies = list(alice.client.cookie_jar)
    assert (await alice.get("/rooms")).status_code == 200  # now remembered by this process

    await alice.post("/logout")

    thief = Person(app, "thief")
    for cookie in cookies:
        thief.client.cookie_jar.set_cookie(cookie)
    assert (await thief.get("/rooms")).status_code == 302


async def test_revoking_a_users_sessions_signs_out_every_browser_and_closes_their_sockets(
        app: Quart, alice: Person, bob: Person, room_id: int) -> None:
    second_browser = Person(app, "alice")
    await second_browser.post("/login", {"username": "alice",
                                         "password": "correct horse battery"})
    assert (await second_browser.get("/rooms")).status_code == 200
    async with socket(alice, room_id) as ws:
        await registered(alice)

        async with app.app_context():
            ended = await revoke_sessions(alice.user_id)

        with pytest.raises(SocketClosed) as closed:
            while True:
                await next_frame(ws)
    assert ended == 2 and closed.value.code == 1008
    assert not await Session.filter(user_id=alice.user_id).exists()
    assert (await alice.get("/rooms")).status_code == 302
    assert (await second_browser.get("/rooms")).status_code == 302
    assert (await bob.get("/rooms")).status_code == 200  # nobody else is signed out

"""How many live sockets one person may hold: per browser and per person, a new socket beyond
the cap closes their oldest with 4029 (the page says so and does not reconnect by itself)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import replace

import pytest
from quart import Quart

from app.models import User
from app.realtime.close_codes import CLOSE_TOO_MANY_SOCKETS
from app.realtime.connections import Connection, Registry, SocketLimits
from config.settings import Settings, SettingsError, settings_of
from tests.helpers import Person, signed_in
from tests.live import RecordingWebsocket, SocketClosed, frame_matching, next_frame, ready, socket


@pytest.fixture
def caps(app: Quart, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Set this test's caps (the app's settings are swapped back afterwards)."""
    def set_caps(per_user: int, per_session: int) -> None:
        monkeypatch.setitem(app.extensions, "settings", replace(
            settings_of(app), sockets_per_user=per_user, sockets_per_session=per_session))
    return set_caps


def registered_sockets(app: Quart, user_id: int | None) -> set[Connection]:
    return set(app.extensions["realtime"].registry.by_user.get(user_id, ()))


async def opened(stack: AsyncExitStack, person: Person, room_id: int) -> RecordingWebsocket:
    ws = await stack.enter_async_context(socket(person, room_id))
    await ready(ws)
    return ws


async def test_a_browser_over_its_cap_loses_its_oldest_socket_and_the_newest_works(
        app: Quart, alice: Person, bob: Person, room_id: int, caps) -> None:  # type: ignore[no-untyped-def]
    caps(per_user=50, per_session=3)
    async with AsyncExitStack() as stack:
        tabs = [await opened(stack, bob, room_id) for _ in range(3)]
        first_three = registered_sockets(app, bob.user_id)

        newest = await opened(stack, bob, room_id)

        with pytest.raises(SocketClosed) as closed:
            await next_frame(tabs[0])
        assert closed.value.code == CLOSE_TOO_MANY_SOCKETS == 4029
        now = registered_sockets(app, bob.user_id)
        assert len(now) == 3 and len(now - first_three) == 1  # the oldest went, the newest came
        await alice.say(room_id, "still live", client_msg_id="cap-000000000001")
        for ws in [*tabs[1:], newest]:
            await frame_matching(ws, "article#message-cap-000000000001")


async def test_a_person_over_their_cap_across_browsers_loses_their_oldest_socket(
        app: Quart, alice: Person, bob: Person, room_id: int, caps) -> None:  # type: ignore[no-untyped-def]
    caps(per_user=3, per_session=20)
    laptop, phone = bob, await signed_in(app, await User.get(id=bob.user_id))
    async with AsyncExitStack() as stack:
        oldest = await opened(stack, laptop, room_id)
        others = [await opened(stack, laptop, room_id), await opened(stack, phone, room_id)]

        newest = await opened(stack, phone, room_id)

        with pytest.raises(SocketClosed) as closed:
            await next_frame(oldest)
        assert closed.value.code == CLOSE_TOO_MANY_SOCKETS
        assert len(registered_sockets(app, bob.user_id)) == 3
        await alice.say(room_id, "to the three", client_msg_id="cap-000000000002")
        for ws in [*others, newest]:
            await frame_matching(ws, "article#message-cap-000000000002")


async def test_someone_elses_sockets_do_not_count_against_a_persons_cap(
        app: Quart, alice: Person, bob: Person, room_id: int, caps) -> None:  # type: ignore[no-untyped-def]
    caps(per_user=2, per_session=2)
    async with AsyncExitStack() as stack:
        alices = [await opened(stack, alice, room_id) for _ in range(2)]
        bobs = [await opened(stack, bob, room_id) for _ in range(2)]

        await bob.say(room_id, "all four hear it", client_msg_id="cap-000000000003")

        for ws in [*alices, *bobs]:
            await frame_matching(ws, "article#message-cap-000000000003")
    assert not registered_sockets(app, alice.user_id) | registered_sockets(app, bob.user_id)


def test_the_registry_stays_at_the_cap_however_many_sockets_come() -> None:
    registry, limits = Registry(), SocketLimits(per_user=5, per_session=3)
    conns = [Connection(user_id=7, username="ann", room_id=1, session_id=f"s{n % 2}")
             for n in range(40)]

    closed = [old for conn in conns for old in registry.add(conn, limits)]

    kept = registry.by_user[7]
    # Each browser keeps its three newest, and the person their newest five of those six.
    assert kept == set(conns[-5:])
    assert {sid: len(conns) for sid, conns in registry.by_session.items()} == {"s0": 2, "s1": 3}
    assert set(closed) == set(conns[:-5])
    assert {c.close_code for c in closed} == {CLOSE_TOO_MANY_SOCKETS}
    assert all(c.close_code is None for c in kept)


def test_the_caps_come_from_the_environment_and_refuse_nonsense() -> None:
    settings = Settings.from_env({"SOCKETS_PER_USER": "8", "SOCKETS_PER_SESSION": "4",
                                  "SECRET_KEY": "k"})

    assert (settings.sockets_per_user, settings.sockets_per_session) == (8, 4)
    assert (Settings().sockets_per_user, Settings().sockets_per_session) == (50, 20)
    with pytest.raises(SettingsError, match="SOCKETS_PER_USER"):
        Settings.from_env({"SOCKETS_PER_USER": "0", "SECRET_KEY": "k"})

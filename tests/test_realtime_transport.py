"""The live transport's parts on their own: audiences, the view table, the bus backend factory,
typing notices, and links in pushed fragments built without a request."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.live_views import VIEWS
from app.realtime.backends import backend_for
from app.realtime.backends.postgres import PostgresBusBackend
from app.realtime.connections import Connection, Registry, RoomState
from app.realtime.dispatch import Dispatcher, Live
from app.realtime.events import Audience, Event, MessageCreated, RoomRead, Typing
from app.realtime.typing import TypingState
from tests.helpers import Person, select_one
from tests.live import frame_matching, registered, socket


async def _nothing() -> None:
    return None


def _conn(user_id: int, room_id: int | None, rooms: tuple[int, ...]) -> Connection:
    return Connection(user_id=user_id, username=f"u{user_id}", room_id=room_id,
                      rooms={r: RoomState(0, 0) for r in rooms})


def test_every_event_type_has_a_view() -> None:
    assert set(VIEWS) == set(Event.types.values())


def test_a_dispatcher_refuses_a_table_that_leaves_an_event_type_out() -> None:
    partial = {kind: view for kind, view in VIEWS.items() if kind is not Typing}

    with pytest.raises(ValueError, match="Typing"):
        Dispatcher(Live(Registry(), TypingState()), partial, context=_nothing)  # type: ignore[arg-type]


def test_a_room_event_reaches_its_members_sockets_and_a_user_event_only_that_user() -> None:
    registry = Registry()
    alice_here, alice_elsewhere = _conn(1, 7, (7,)), _conn(1, None, (7, 8))
    bob, carol = _conn(2, 8, (8,)), _conn(3, 7, (7,))
    for conn in (alice_here, alice_elsewhere, bob, carol):
        registry.add(conn)

    in_room = registry.audience(MessageCreated(room_id=7, message_id=1, seq=1,
                                               author_id=3).audience)
    to_alice = registry.audience(RoomRead(user_id=1, room_id=7, seq=1).audience)

    assert set(in_room) == {alice_here, alice_elsewhere, carol}
    assert set(to_alice) == {alice_here, alice_elsewhere}
    assert registry.audience(Audience.users(99)) == []


def test_the_bus_backend_is_chosen_by_the_urls_scheme() -> None:
    backend = backend_for("postgresql://u@127.0.0.1/db", _nothing)

    assert isinstance(backend, PostgresBusBackend)
    assert isinstance(backend_for("postgres://u@h/db", _nothing), PostgresBusBackend)
    with pytest.raises(ValueError, match="'carrier-pigeon'"):
        backend_for("carrier-pigeon://loft", _nothing)


def test_a_typing_notice_is_news_only_when_it_starts_or_stops() -> None:
    state = TypingState(ttl=5)
    ping = Typing(room_id=1, user_id=2, username="bob")

    first, again = state.update("r", ping), state.update("r", ping)
    stopped = state.update("r", replace(ping, stopped=True))
    stopped_twice = state.update("r", replace(ping, stopped=True))

    assert (first, again, stopped, stopped_twice) == (True, False, True, False)
    assert state.names("r") == []


def test_typists_see_the_others_and_a_sender_stops_typing() -> None:
    state = TypingState(ttl=5)
    state.update("r", Typing(room_id=1, user_id=2, username="bob"))
    state.update("r", Typing(room_id=1, user_id=3, username="alice"))

    assert state.names("r") == ["alice", "bob"]
    assert state.names("r", viewer_id=2) == ["alice"]
    assert state.stop("r", 2) is True and state.stop("r", 2) is False
    assert state.names("r") == ["alice"]


def test_a_notice_whose_pings_stopped_expires_as_a_stop_event() -> None:
    state = TypingState(ttl=5)
    ping = Typing(room_id=1, user_id=2, username="bob")
    state.update("r", ping)

    before, after = state.expired(now=0), state.expired(now=10**9)
    state.purge(now=10**9)

    assert before == []
    assert after == [replace(ping, stopped=True)]
    assert state.names("r") == [] and state.expired(now=10**9) == []


async def test_a_pushed_member_list_links_to_private_messages_by_path(
        alice: Person, bob: Person, room_id: int) -> None:
    carol = Person(alice.app, "carol")
    await carol.sign_up()
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await carol.join(room_id)

        frame = await frame_matching(ws, f"#room-{room_id}-members")
    assert select_one(frame, "a.dm-link[aria-label='Message carol privately']")["href"] \
        == "/dm/carol"

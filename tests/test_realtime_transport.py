"""The live transport's parts on their own: audiences, the view table, the bus backend factory,
typing notices, and links in pushed fragments built without a request."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace

import pytest

from app.live_views import VIEWS
from app.live_views.state import Live, RoomState
from app.live_views.typing_state import TypingState
from app.realtime.backends import backend_for
from app.realtime.backends.postgres import PostgresBusBackend
from app.realtime.connections import QUEUE_FRAMES, Connection, Registry
from app.realtime.dispatch import Dispatcher, View
from app.realtime.events import Audience, Event, MessageCreated, RoomRead, Typing
from app.realtime.pump import Writer
from tests.helpers import Person, select_one
from tests.live import frame_matching, registered, socket


async def _nothing() -> None:
    return None


def _conn(user_id: int, room_id: int | None, rooms: tuple[int, ...]) -> Connection:
    return Connection(user_id=user_id, username=f"u{user_id}", room_id=room_id,
                      rooms={r: RoomState(0, 0) for r in rooms})


def test_every_event_type_has_a_view() -> None:
    assert set(VIEWS) == set(Event.types.values())


def test_a_transport_or_event_type_that_leaves_out_a_hook_cannot_be_made() -> None:
    from app.realtime.backends.supervised import SupervisedBackend

    class HalfTransport(SupervisedBackend):
        async def _open(self) -> None:
            return None

    @dataclass(frozen=True)
    class Nameless(Event):  # names no audience
        kind = "test_nameless"

    try:
        with pytest.raises(TypeError, match="abstract"):
            HalfTransport("redis://unused", _nothing)
        with pytest.raises(TypeError, match="audience"):
            Nameless()
    finally:
        Event.types.pop("test_nameless", None)


def test_a_dispatcher_refuses_a_table_that_leaves_an_event_type_out() -> None:
    partial = {kind: view for kind, view in VIEWS.items() if kind is not Typing}

    with pytest.raises(ValueError, match="Typing"):
        Dispatcher(Registry(), None, partial, context=_nothing)  # type: ignore[arg-type]


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


async def test_the_room_headers_member_count_follows_a_join(alice: Person, bob: Person,
                                                            room_id: int) -> None:
    carol = Person(alice.app, "carol")
    await carol.sign_up()
    async with socket(bob, room_id) as ws:
        await registered(bob)

        await carol.join(room_id)

        frame = await frame_matching(ws, f"#room-{room_id}-member-count")
    assert select_one(frame, f"#room-{room_id}-member-count").text == "3"


class _Client:
    """A socket's send end as the writer sees it: records what it is sent; `stall()` makes
    sends wait, as they do when a client stopped reading and its buffers are full."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.gate: asyncio.Event | None = None
        self.abandoned = 0

    def stall(self) -> None:
        self.gate = asyncio.Event()

    async def send(self, data: str) -> None:
        if self.gate is not None:
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.abandoned += 1
                raise
        self.sent.append(data)


async def _next_turns(turns: int = 3) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)


async def test_frames_pushed_in_one_turn_go_as_one_send_built_once_for_every_socket() -> None:
    writer, a, b = Writer(), _Client(), _Client()
    conn_a, conn_b = _conn(1, 7, (7,)), _conn(2, 7, (7,))
    writer.attach(conn_a, a.send)
    writer.attach(conn_b, b.send)
    first, second = "<div id='one'></div>", "<div id='two'></div>"

    for conn in (conn_a, conn_b):
        conn.push(first)
        conn.push(second)
    await _next_turns()

    assert a.sent == [first + second] and b.sent == [first + second]
    assert a.sent[0] is b.sent[0]  # joined once, not once per socket
    assert conn_a.pending == [] and conn_b.pending == []


async def test_a_backlog_of_events_reaches_a_socket_that_keeps_reading_in_order() -> None:
    # A dispatcher behind by more events than a socket may have frames waiting (a burst, a
    # busy process) must not take its sockets for slow clients and close them with 1013.
    writer, client = Writer(), _Client()
    conn = _conn(1, 7, (7,))
    closed: list[int | None] = []
    conn.on_close = lambda c: closed.append(c.close_code)
    writer.attach(conn, client.send)
    registry = Registry()
    registry.add(conn)

    async def push_seq(event: MessageCreated, conns: list[Connection], *_: object) -> None:
        for c in conns:
            c.push(f"<p>{event.seq}</p>")

    views = {kind: View(show=push_seq) for kind in Event.types.values()}
    dispatcher = Dispatcher(registry, Live.over(registry), views, contextlib.nullcontext)
    backlog = [MessageCreated(room_id=7, message_id=n, seq=n, author_id=2)
               for n in range(1, 3 * QUEUE_FRAMES + 1)]

    await dispatcher.deliver(backlog)  # type: ignore[arg-type]
    await _next_turns()

    assert closed == []
    assert "".join(client.sent) == "".join(f"<p>{n}</p>" for n in range(1, 3 * QUEUE_FRAMES + 1))


async def test_a_stuck_send_keeps_order_and_a_client_too_far_behind_is_closed_with_1013() -> None:
    writer, slow = Writer(), _Client()
    conn = _conn(1, 7, (7,))
    closed: list[int] = []
    conn.on_close = lambda c: (closed.append(c.close_code), writer.detach(c))
    writer.attach(conn, slow.send)
    slow.stall()

    conn.push("<p>0</p>")
    await _next_turns()
    conn.push("<p>1</p>")
    conn.push("<p>2</p>")
    await _next_turns()
    assert slow.sent == [] and conn.pending == ["<p>1</p>", "<p>2</p>"]  # behind the stuck one

    assert slow.gate is not None
    slow.gate.set()
    await _next_turns()
    assert slow.sent == ["<p>0</p>", "<p>1</p><p>2</p>"]  # in order, the rest as one send

    slow.stall()
    for n in range(QUEUE_FRAMES + 2):
        conn.push(f"<p>{n}</p>")
        await asyncio.sleep(0)
    await _next_turns()
    assert closed == [1013]
    assert slow.abandoned == 1  # the stuck send was given up, not left waiting forever
    assert conn.pending == []

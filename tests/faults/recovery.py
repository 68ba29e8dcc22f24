"""What every bus fault test checks: the socket is told to reconnect (1012), and the client
catches up once, in order, and is live again."""

from __future__ import annotations

import asyncio
import secrets

import pytest
import websockets

from tests.remote import RemoteUser, bodies_received, wait_registered


async def people_in_a_room(base: str,
                           bobs_base: str | None = None) -> tuple[RemoteUser, RemoteUser, int]:
    """alice (on `base`) and bob (on `bobs_base`, or the same), both members of a new room."""
    tag = secrets.token_hex(3)
    alice, bob = RemoteUser(base, f"alice{tag}"), RemoteUser(bobs_base or base, f"bob{tag}")
    await alice.sign_up()
    await bob.sign_up()
    room_id = await alice.create_room(f"faults {tag}")
    await bob.join(room_id)
    return alice, bob, room_id


async def listening_socket(alice: RemoteUser, bob: RemoteUser,
                           room_id: int) -> websockets.ClientConnection:
    """bob's socket on the room, subscribed, having received alice's "before" live."""
    ws = await bob.socket(room_id)
    await wait_registered(ws, bob, room_id)
    await alice.say(room_id, "before")
    assert await bodies_received(ws, 1) == ["before"]
    return ws


async def closed_code(ws: websockets.ClientConnection) -> int:
    """Read until the server closes the socket; return the close code."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(30):
            while True:
                await ws.recv()
    return closed.value.rcvd.code


async def recover_and_check(alice: RemoteUser, bob: RemoteUser, room_id: int,
                             ws: websockets.ClientConnection, during: str) -> None:
    """After the fault: the client was told to reconnect, catches up once, and is live again."""
    await alice.say(room_id, during)
    assert await closed_code(ws) == 1012

    ws = await bob.socket(room_id)
    await wait_registered(ws, bob, room_id)
    missed = await bob.catch_up(room_id, after=1)
    await alice.say(room_id, "after recovery")
    live = await bodies_received(ws, 1)
    everything = await bob.catch_up(room_id, after=0)
    await ws.close()

    assert missed == [during]
    assert live == ["after recovery"]
    assert everything == ["before", during, "after recovery"]

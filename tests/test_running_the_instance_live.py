"""Running the instance against a real server process, with real sockets: the administrator's
join link lets a second person in, a curl-style webhook post shows up live, and deactivating
that person closes their open socket within a second."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import websockets

from tests.helpers import select, select_one
from tests.remote import RemoteUser, wait_registered


async def test_join_link_webhook_live_and_deactivation_closes_the_socket(fresh_server: str) -> None:
    admin, bob = RemoteUser(fresh_server, "founder"), RemoteUser(fresh_server, "bob")
    await admin.sign_up()  # the first account: no link needed
    refused = await bob.post("/register", _form("bob"))
    join_url = select_one((await admin.http.get("/admin")).text, "input#join-url")["value"]
    joined = await bob.post(httpx.URL(join_url).path, _form("bob"))
    room_id = await admin.create_room("deploys")
    await bob.join(room_id)
    hook_url = await _new_webhook(admin, room_id)
    ws = await bob.socket(room_id)
    try:
        await wait_registered(ws, bob, room_id)

        async with httpx.AsyncClient() as curl:  # a script: no cookie, no CSRF token
            posted = await curl.post(hook_url, json={"text": "build #7 passed"})
        frame = await _frame_with(ws, ".message")

        started = time.monotonic()
        deactivated = await admin.post(f"/admin/users/{await _user_id(admin, 'bob')}/deactivation")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(1.0):  # "closed at once": within a second
                while True:
                    await ws.recv()
        elapsed = time.monotonic() - started
    finally:
        await ws.close()
        await admin.close()
        await bob.close()

    assert refused.status_code == 403 and joined.status_code == 303
    assert (posted.status_code, posted.text) == (200, "ok")
    assert select_one(frame, ".body").text == "build #7 passed"
    assert select_one(frame, ".author").text == "CI" and select_one(frame, ".bot-badge")
    assert deactivated.status_code == 303
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert elapsed < 1.0


def _form(username: str) -> dict[str, str]:
    return {"username": username, "email": f"{username}@example.com",
            "password": "correct horse battery"}


async def _new_webhook(user: RemoteUser, room_id: int) -> str:
    response = await user.post(f"/rooms/{room_id}/webhooks", {"name": "CI"})
    assert response.status_code == 303, response.text
    page = (await user.http.get(response.headers["location"])).text
    return select_one(page, "input#new-webhook-url")["value"]


async def _user_id(admin: RemoteUser, username: str) -> int:
    page = (await admin.http.get("/admin")).text
    [row] = [r for r in select(page, ".person") if r.select_one(".name").text == username]
    return int(row["data-user-id"])


async def _frame_with(ws: websockets.ClientConnection, selector: str) -> str:
    async with asyncio.timeout(15):
        while True:
            frame = await ws.recv()
            if select(frame, selector):
                return str(frame)

"""A page that outlives its server: it says so, reconnects to the restarted server and catches up."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    LiveServer,
    create_room,
    join_room,
    screenshot,
    sign_up,
    unique,
    wait_live,
)
from tests.helpers import WAIT
from tests.server import free_port, running_server


async def test_after_the_server_restarts_the_page_reconnects_and_catches_up(
        browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    env = {"DATABASE_URL": live_server.database_url, "VAR_DIR": str(tmp_path),
           "SECRET_KEY": "one secret for both runs"}
    port = free_port()
    alice_ctx, bob_ctx = await browser.new_context(), await browser.new_context()
    alice, bob = await alice_ctx.new_page(), await bob_ctx.new_page()
    with running_server(env, port=port) as (base, _first):
        await sign_up(alice, base, unique("alice"))
        await sign_up(bob, base, unique("bob"))
        room_url = await create_room(alice, base, unique("restart"))
        await join_room(bob, base, room_url)
        await wait_live(alice)
        await alice.fill("#body", "before the restart")
        await alice.keyboard.press("Enter")
        await expect(alice.locator(".message .body")).to_have_text(["before the restart"])

    await expect(alice.locator("#connection-status")).to_be_visible()
    await screenshot(alice, "reconnecting")
    with running_server(env, port=port) as (base, _second):
        await bob.reload()
        await bob.fill("#body", "while alice was away")
        await bob.keyboard.press("Enter")
        await expect(bob.locator(".message .body")).to_have_count(2)

        await expect(alice.locator(".message .body")).to_have_text(
            ["before the restart", "while alice was away"])
        await wait_live(alice)
        await expect(alice.locator("#connection-status")).to_be_hidden()
        await alice.fill("#body", "back again")
        await alice.keyboard.press("Enter")
        await expect(bob.locator(".message .body")).to_have_text(
            ["before the restart", "while alice was away", "back again"])
    await alice_ctx.close()
    await bob_ctx.close()


async def test_while_the_server_is_down_the_page_retries_every_few_seconds_not_every_minute(
        browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    """htmx-ws backs off up to 64 s by default: a tab whose server restarted took 31 s to return.
    Ten attempts take the default about two minutes; Parley's retries take a few seconds each."""
    env = {"DATABASE_URL": live_server.database_url, "VAR_DIR": str(tmp_path),
           "SECRET_KEY": "one secret for both runs"}
    port = free_port()
    context = await browser.new_context()
    alice = await context.new_page()
    with running_server(env, port=port) as (base, _first):
        await sign_up(alice, base, unique("alice"))
        await create_room(alice, base, unique("retries"))
        await wait_live(alice)
        await alice.evaluate("""() => { window.socketAttempts = 0;
            document.addEventListener("htmx:wsConnecting", () => { window.socketAttempts++; }); }""")

    await expect(alice.locator("#connection-status")).to_be_visible()
    await alice.wait_for_function("() => window.socketAttempts >= 10", timeout=WAIT * 1000)
    with running_server(env, port=port) as (base, _second):
        await wait_live(alice)
        await expect(alice.locator("#connection-status")).to_be_hidden()
        await alice.fill("#body", "back within seconds")
        await alice.keyboard.press("Enter")
        await expect(alice.locator(".message .body")).to_have_text(["back within seconds"])
    await context.close()


@pytest.mark.parametrize("event", ["online", "visible"])
async def test_a_tab_reconnects_at_once_when_the_network_returns_or_it_is_shown_again(
        browser: Browser, live_server: LiveServer, tmp_path: Path, event: str) -> None:
    """A hidden tab's retry timer is throttled (up to a minute): coming back must not wait for it.
    Here the pending retry is ten minutes away, so only the event can bring the socket back."""
    env = {"DATABASE_URL": live_server.database_url, "VAR_DIR": str(tmp_path),
           "SECRET_KEY": "one secret for both runs"}
    port = free_port()
    context = await browser.new_context()
    alice = await context.new_page()
    with running_server(env, port=port) as (base, _first):
        await sign_up(alice, base, unique("alice"))
        await create_room(alice, base, unique("comeback"))
        await wait_live(alice)
        await alice.evaluate("""() => { window.socketClosings = 0; window.live = [];
            document.addEventListener("htmx:wsClose", () => { window.socketClosings++; });
            for (const type of ["behaviour:connect", "behaviour:disconnect"]) {
              document.addEventListener(type, (e) => {
                if (e.detail.behaviour === "live") window.live.push(type.split(":")[1]); });
            } }""")

    await expect(alice.locator("#connection-status")).to_be_visible()
    closings = await alice.evaluate("""() => {
        htmx.config.wsReconnectDelay = () => 600000; return window.socketClosings; }""")
    # One more failed attempt: the extension's next retry is now ten minutes away.
    await alice.wait_for_function("(n) => window.socketClosings > n", arg=closings,
                                  timeout=WAIT * 1000)
    with running_server(env, port=port) as (base, _second):
        target = "window" if event == "online" else "document"
        name = "online" if event == "online" else "visibilitychange"
        # Once the replaced socket element is swept (microtasks), and before the new socket can
        # open: the fresh element is the page's socket element, and it still says "Reconnecting…"
        still_reconnecting = await alice.evaluate(f"""async () => {{
            {target}.dispatchEvent(new Event("{name}"));
            for (let i = 0; i < 5; i++) await Promise.resolve();
            return !document.getElementById("connection-status").hidden; }}""")
        assert still_reconnecting
        assert await alice.evaluate("() => window.live") == ["connect", "disconnect"]  # new, then old
        await wait_live(alice)
        await expect(alice.locator("#connection-status")).to_be_hidden()
        await alice.fill("#body", "back at once")
        await alice.keyboard.press("Enter")
        await expect(alice.locator(".message .body")).to_have_text(["back at once"])
    await context.close()

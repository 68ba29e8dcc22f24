"""Too many tabs: the oldest tab's socket is closed (4029), it says so and waits for a click."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import LiveServer, create_room, screenshot, sign_up, unique, wait_live
from tests.server import running_server

NOTICE = "Parley is open in too many tabs, so this one stopped getting live updates."


async def test_the_oldest_tab_says_it_was_disconnected_and_reconnects_only_when_asked(
        browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    env = {"DATABASE_URL": live_server.database_url, "VAR_DIR": str(tmp_path),
           "SOCKETS_PER_SESSION": "1"}
    context = await browser.new_context()
    first, second = await context.new_page(), await context.new_page()
    with running_server(env) as (base, _server):
        await sign_up(first, base, unique("tabs"))
        room_url = await create_room(first, base, unique("tabs"))
        await wait_live(first)

        await second.goto(room_url)
        await wait_live(second)

        notice = first.locator("#live-displaced")
        await expect(notice).to_contain_text(NOTICE)
        await expect(first.locator("html")).to_have_attribute("data-live", "closed")
        await expect(first.locator("#connection-status")).to_be_hidden()  # not "Reconnecting…"
        await screenshot(first, "too-many-tabs")
        # The newest tab stays live: its own message comes back to it over the socket.
        await second.fill("#body", "from the newest tab")
        await second.keyboard.press("Enter")
        await expect(second.locator(".message .body")).to_have_text(["from the newest tab"])
        await expect(second.locator("html")).to_have_attribute("data-live", "open")
        await expect(notice).to_be_visible()  # still waiting for a click, not reconnecting

        await notice.get_by_role("button", name="Reconnect").click()

        await wait_live(first)
        await expect(notice).to_have_count(0)
        await expect(second.locator("#live-displaced")).to_contain_text(NOTICE)
        await expect(second.locator("html")).to_have_attribute("data-live", "closed")
    await context.close()

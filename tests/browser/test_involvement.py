"""Involvement in Chromium: "mentions only" trades the unread count for the count of mentions,
"invisible" takes the room out of the sidebar until it is opened again, and the header menu's
form does the same without JavaScript. At 1280 and 390 px, light and dark."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import (
    LiveServer,
    screenshot,
    set_involvement,
    sign_up,
    two_members,
    unique,
    wait_live,
)

VIEWS = {"desktop-light": ({"width": 1280, "height": 800}, "light"),
         "phone-dark": ({"width": 390, "height": 844}, "dark")}


async def _say(page: Page, text: str) -> None:
    await page.fill("#body", text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".message .body", has_text=text)).to_have_count(1)


@pytest.mark.parametrize("view", VIEWS)
async def test_mentions_only_counts_mentions_and_invisible_hides_the_room(
        browser: Browser, live_server: LiveServer, view: str) -> None:
    async with two_members(browser, live_server.url, "involved") as pair:
        alice, bob = pair.alice, pair.bob
        viewport, scheme = VIEWS[view]
        await bob.set_viewport_size(viewport)
        await bob.emulate_media(color_scheme=scheme)
        bob_name = (await bob.locator(".whoami").text_content() or "").strip()
        room_id = pair.room_url.rsplit("/", 1)[-1]
        link = bob.locator(f"#sidebar-rooms a[data-room-id='{room_id}']")
        badge = link.locator(".unread")

        await set_involvement(bob, pair.room_url, "everything")
        await bob.goto(f"{live_server.url}/rooms")
        await wait_live(bob)
        await _say(alice, "plain one")
        await expect(badge.locator(".count")).to_have_text("1")

        await set_involvement(bob, pair.room_url, "mentions")
        await bob.goto(f"{live_server.url}/rooms")
        await wait_live(bob)
        await _say(alice, "plain two")
        await expect(badge).to_have_class("unread quiet")  # the name goes bold, no number
        await expect(badge.locator(".count")).to_have_count(0)
        await _say(alice, f"@{bob_name} a look?")
        await expect(badge.locator(".count")).to_have_text("1")  # live
        await expect(badge).to_have_class("unread mentioned")
        await screenshot(bob, f"involvement-mentions-{view}")

        await set_involvement(bob, pair.room_url, "invisible")
        await wait_live(bob)
        await _say(alice, f"@{bob_name} still there?")
        await expect(link).to_have_count(0)
        hidden = bob.locator(f".hidden-rooms a[data-room-id='{room_id}']")
        await expect(hidden).to_be_visible()
        await screenshot(bob, f"involvement-hidden-{view}")
        await hidden.click()
        await expect(bob.locator("#composer")).to_be_visible()
        await expect(link).to_have_count(1)
        await expect(link).to_have_attribute("aria-current", "page")


async def test_invisible_without_javascript(browser: Browser, live_server: LiveServer) -> None:
    ctx = await browser.new_context(viewport={"width": 390, "height": 844},
                                    java_script_enabled=False)
    page = await ctx.new_page()
    await sign_up(page, live_server.url, unique("nojs"))
    await page.goto(f"{live_server.url}/rooms")
    await page.fill("#name", name := unique("hideme"))
    await page.click("text=Create room")
    room_url = page.url.split("#")[0]
    room_id = room_url.rsplit("/", 1)[-1]
    link = page.locator(f"#sidebar-rooms a[data-room-id='{room_id}']")
    await expect(link).to_have_count(1)

    await page.locator(".room-menu > summary").click()
    await page.get_by_role("radio", name="Invisible").check()
    await page.get_by_role("button", name="Save").click()

    await page.wait_for_url(f"{live_server.url}/rooms")
    await expect(page.locator(".flash")).to_contain_text(f"“{name}” is hidden")
    await expect(link).to_have_count(0)
    await page.locator(f".hidden-rooms a[data-room-id='{room_id}']").click()
    await expect(link).to_have_count(1)
    await ctx.close()

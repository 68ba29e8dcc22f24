"""Replies in Chromium: Reply sets the composer's target, Escape clears it, the reply shows its
quote live to others, and clicking the quote brings the original into view, highlighted."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, create_room, screenshot, sign_up, unique
from tests.browser.test_accessibility import _violations


async def _say(page: Page, text: str, shown: str | None = None) -> None:
    await page.fill("#body", text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".message .body", has_text=shown or text)).to_have_count(1)


async def test_alice_replies_to_bob_and_the_quote_leads_back_to_the_original(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    # alice's context bypasses the CSP only so that axe-core can be injected at the end.
    alice_ctx = await browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    bob_ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    alice, bob = await alice_ctx.new_page(), await bob_ctx.new_page()
    try:
        bob_name = unique("bob")
        await sign_up(alice, base, unique("alice"))
        await sign_up(bob, base, bob_name)
        room_url = await create_room(alice, base, unique("replies"))
        await bob.goto(room_url)
        await bob.get_by_role("button", name="Join room").click()
        await bob.locator("#composer").wait_for()
        await _say(bob, "Who brings the **cake** on Friday?", "Who brings the cake on Friday?")
        for n in range(25):  # enough to scroll the original out of view
            await _say(bob, f"filler {n}")
        await alice.goto(room_url)
        original = alice.locator(".message[data-seq=\"1\"]")

        await original.hover()
        await original.locator(".reply-action").click()
        bar = alice.locator("#reply-bar")
        await expect(bar).to_be_visible()
        await expect(bar).to_contain_text(f"Replying to {bob_name}")
        await expect(alice.locator("#body")).to_be_focused()
        await alice.locator("#body").press("Escape")
        await expect(bar).to_be_hidden()

        await original.hover()
        await original.locator(".reply-action").click()
        await alice.fill("#body", "I will!")
        await alice.keyboard.press("Enter")
        await expect(bar).to_be_hidden()

        reply = bob.locator(".message", has_text="I will!")
        await expect(reply.locator(".reply-quote-author")).to_have_text(bob_name)
        await expect(reply.locator(".reply-quote-text")).to_have_text(
            "Who brings the cake on Friday?")
        bob_original = bob.locator(".message", has_text="Who brings the cake").first
        await expect(bob_original).not_to_be_in_viewport()
        await reply.locator(".reply-quote").click()
        await expect(bob_original).to_have_class(re.compile(r"\breply-highlight\b"))
        await expect(bob_original).to_be_in_viewport()
        assert bob.url == room_url  # scrolled in place, not navigated

        await alice.locator(".message", has_text="I will!").locator(".reply-quote").wait_for()
        for width in (1280, 390):
            await alice.set_viewport_size({"width": width, "height": 800})
            await alice.locator(".message", has_text="I will!").scroll_into_view_if_needed()
            await screenshot(alice, f"reply-{width}")
        await original.locator(".body").click()  # on a phone a tap opens a message's actions
        await original.locator(".reply-action").click()
        await screenshot(alice, "reply-composer-390")
        await alice.set_viewport_size({"width": 1280, "height": 800})
        assert await _violations(alice, room_url) == []
    finally:
        await alice_ctx.close()
        await bob_ctx.close()

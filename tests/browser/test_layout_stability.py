"""A room page does not jump while it loads: the cumulative layout shift stays under 0.05.

The browser's own layout-shift entries are summed (what Lighthouse reports as CLS); no timing is
involved: the page is read once it is live and has settled."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import LiveServer, two_members, wait_live

SHIFTS = """
window.layoutShifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (!e.hadRecentInput) window.layoutShifts.push({ value: e.value,
      t: Math.round(e.startTime), sources: (e.sources || []).map((s) =>
        (s.node ? (s.node.id || s.node.className || s.node.nodeName) : "?") + " " +
        JSON.stringify([s.previousRect.y, s.previousRect.height, s.currentRect.y, s.currentRect.height])) });
  }
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.mark.parametrize(("width", "scheme", "unread"), [
    (1280, "light", False), (390, "dark", False), (1280, "dark", True), (390, "light", True)])
async def test_a_room_of_sixty_messages_opens_without_jumping(
        browser: Browser, live_server: LiveServer, width: int, scheme: str, unread: bool) -> None:
    """Read to the end, the room opens at its newest message; with everything unread, at the
    "New" divider at the top, where "Older messages" is in view and loads at once."""
    async with two_members(browser, live_server.url, "steady") as pair:
        for n in range(60):
            await pair.alice.fill("#body", f"message number {n} " + "with some words " * (n % 4))
            await pair.alice.keyboard.press("Enter")
        await expect(pair.bob.locator(".message")).to_have_count(60)
        if not unread:  # bob's page marks what it showed as read (a GET writes nothing)
            await expect(pair.bob.locator("section.room")).to_have_attribute("data-read-seq", "60")
        ctx = await browser.new_context(viewport={"width": width, "height": 800},
                                        color_scheme=scheme,
                                        storage_state=await pair.bob.context.storage_state())
        await ctx.add_init_script(SHIFTS)
        page = await ctx.new_page()
        await page.goto(pair.room_url)
        await wait_live(page)
        await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

        shifts = await page.evaluate("() => window.layoutShifts")
        total = sum(s["value"] for s in shifts)
        assert total < 0.05, shifts
        await ctx.close()

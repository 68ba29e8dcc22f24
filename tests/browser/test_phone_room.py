"""A room on a phone: the composer stays at the bottom and only the messages scroll; the rooms
list and the room's details open over the page instead of pushing it around."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import LiveServer, screenshot, two_members, wait_live


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_on_a_phone_the_composer_is_pinned_and_panels_open_over_the_room(
        browser: Browser, live_server: LiveServer, scheme: str) -> None:
    async with two_members(browser, live_server.url, "phone") as pair:
        for n in range(30):
            await pair.alice.fill("#body", f"line {n}")
            await pair.alice.keyboard.press("Enter")
        await expect(pair.bob.locator(".message")).to_have_count(30)
        ctx = await browser.new_context(viewport={"width": 390, "height": 780},
                                        color_scheme=scheme,
                                        storage_state=await pair.bob.context.storage_state())
        page = await ctx.new_page()
        await page.goto(pair.room_url)
        await wait_live(page)

        composer = await page.locator("#composer").bounding_box()
        assert composer is not None and 780 - 40 <= composer["y"] + composer["height"] <= 780
        page_scrolls = await page.evaluate(
            "() => [document.scrollingElement, document.querySelector('.content')]"
            ".some((el) => el.scrollHeight > el.clientHeight + 1)")
        assert not page_scrolls  # only the message list scrolls
        await expect(page.locator(".members")).to_be_hidden()

        room_top = (await page.locator("section.room").bounding_box() or {})["y"]
        await page.locator("#sidebar-toggle").click()
        await expect(page.locator("#sidebar")).to_be_visible()
        assert (await page.locator("section.room").bounding_box() or {})["y"] == room_top
        await screenshot(page, f"phone-rooms-open-{scheme}")
        await page.keyboard.press("Escape")
        await expect(page.locator("#sidebar")).to_be_hidden()

        await page.locator(".room-header .room-member-count").click()
        await expect(page.locator(".members")).to_be_visible()
        await screenshot(page, f"phone-room-details-{scheme}")
        await page.get_by_role("button", name="Close").click()
        await expect(page.locator(".members")).to_be_hidden()
        await expect(page.locator("#composer")).to_be_in_viewport()
        await screenshot(page, f"phone-room-{scheme}")
        await ctx.close()

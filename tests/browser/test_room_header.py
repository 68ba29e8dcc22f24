"""A room's one header in Chromium: name, topic, member count and one menu for the rest, which
opens with and without JavaScript; at 390 px it stays on one line (the name truncates) with
every control inside the screen; its icons are drawn from the sprite. At 1280 and 390 px,
light and dark, with screenshots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, create_room, screenshot, sign_up, unique

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
LONG_NAME = "quarterly-planning-roadmap"

# Each header control's box, and whether any two overlap or leave the screen.
HEADER_BOXES = """() => {
  const parts = [".room-title", ".room-member-count", ".room-menu > summary"]
    .map((s) => document.querySelector(".room-header " + s).getBoundingClientRect());
  const overlap = (a, b) => a.left < b.right - .5 && b.left < a.right - .5
    && a.top < b.bottom - .5 && b.top < a.bottom - .5;
  return {
    inside: parts.every((r) => r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.width > 0),
    overlaps: parts.some((a, i) => parts.some((b, j) => i < j && overlap(a, b))),
    oneLine: Math.max(...parts.map((r) => r.top)) < Math.min(...parts.map((r) => r.bottom)),
    truncated: (() => { const n = document.querySelector(".room-title-name");
                        return n.scrollWidth > n.clientWidth; })(),
  };
}"""
# The drawn size of each <use> in a selector: zero when its sprite symbol did not resolve.
DRAWN = """(selector) => [...document.querySelectorAll(selector + " use")].map((use) => {
  const box = use.getBBox(); return box.width * box.height; })"""


async def _room(page: Page, base: str) -> str:
    await sign_up(page, base, unique("head"))
    url = await create_room(page, base, unique(LONG_NAME), "Plans for the next three months")
    await page.fill("#body", "Hello, header")
    await page.keyboard.press("Enter")
    await expect(page.locator(".message")).to_have_count(1)
    return url


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_the_room_has_one_header_with_a_menu_that_fits_the_screen(
        browser: Browser, live_server: LiveServer, size: str, scheme: str) -> None:
    ctx = await browser.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = await ctx.new_page()
    url = await _room(page, live_server.url)
    await page.goto(url)

    await screenshot(page, f"room-header-closed-{size}-{scheme}")
    boxes = await page.evaluate(HEADER_BOXES)
    assert await page.locator(".room-header").count() == 1
    assert boxes["inside"] and not boxes["overlaps"]
    assert boxes["oneLine"]
    assert boxes["truncated"] == (size == "phone")
    await page.locator(".room-menu > summary").click()
    panel = page.locator(".room-menu-panel")
    await expect(panel).to_be_in_viewport(ratio=1)
    await expect(panel.get_by_role("radio", name="Mentions only")).to_be_checked()
    for name in ("Search this room", "Incoming webhooks", "Download history as HTML",
                 "Download history as JSON", "Room details"):
        await expect(panel.get_by_role("link", name=name)).to_be_visible()
    await expect(panel.get_by_role("button", name="Leave room")).to_be_in_viewport(ratio=1)
    await expect(panel.get_by_role("button", name="Turn on notifications")).to_be_visible()
    await screenshot(page, f"room-header-{size}-{scheme}")
    if scheme == "light":
        shutil.copy(await screenshot(page, f"room-header-{size}"), DOCS / f"room-header-{size}.png")
    drawn = [*await page.evaluate(DRAWN, ".room-header"), *await page.evaluate(DRAWN, "#composer"),
             *await page.evaluate(DRAWN, ".message-tools")]
    assert len(drawn) >= 12 and all(area > 0 for area in drawn)
    await page.keyboard.press("Escape")
    await expect(panel).to_be_hidden()
    await page.locator(".room-menu > summary").click()
    await page.locator(".messages").click(position={"x": 5, "y": 5})  # a click elsewhere
    await expect(panel).to_be_hidden()
    await ctx.close()


async def test_the_menu_changes_involvement_without_javascript(browser: Browser,
                                                               live_server: LiveServer) -> None:
    ctx = await browser.new_context(viewport=SIZES["phone"], java_script_enabled=False)
    page = await ctx.new_page()
    await sign_up(page, live_server.url, unique("nojs"))
    url = await create_room(page, live_server.url, unique("quiet"))

    await page.goto(url)
    await page.locator(".room-menu > summary").click()
    await page.get_by_role("radio", name="Nothing").check()
    await page.get_by_role("button", name="Save").click()

    await page.wait_for_url(f"{url}")
    await expect(page.locator(".flash")).to_contain_text("You will not hear about this room")
    await page.locator(".room-menu > summary").click()
    await expect(page.get_by_role("radio", name="Nothing")).to_be_checked()
    boxes = await page.evaluate(HEADER_BOXES)
    assert boxes["inside"] and not boxes["overlaps"]
    await ctx.close()

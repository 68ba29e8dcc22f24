"""Link previews in Chromium: alice posts a link, the card (site, title, description, image)
appears live under it for bob at 1280 and 390 px, light and dark, without the page jumping;
alice removes it with its ×, without JavaScript too."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image, ImageDraw
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    LiveServer,
    create_room,
    screenshot,
    sign_up,
    two_members,
    unique,
    wait_live,
)
from tests.browser.test_layout_stability import SHIFTS
from tests.helpers import WAIT
from tests.pages import Page, PageServer, og_page

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWS = [(1280, "light"), (390, "dark"), (1280, "dark"), (390, "light")]
DESCRIPTION = ("Parley 2.0 brings threads, link previews and faster rooms. Here is everything "
               "that changed, and how to upgrade a self-hosted instance in five minutes.")


EARLIER = [f"Checklist item {n}: done" for n in range(1, 11)]


def cover() -> bytes:
    """A 1200×630 social card, the size sites give og:image."""
    image = Image.new("RGB", (1200, 630), "#1c7ed6")
    draw = ImageDraw.Draw(image)
    for band in range(0, 630, 30):
        draw.rectangle((0, band, 1200, band + 14), fill=(40 + band // 5, 110, 214))
    draw.ellipse((760, 140, 1110, 490), fill="#ffd43b")
    draw.rectangle((90, 230, 640, 300), fill="white")
    draw.rectangle((90, 330, 520, 370), fill="#e7f5ff")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest_asyncio.fixture
async def site() -> AsyncIterator[PageServer]:
    server = PageServer()
    server.pages["/blog/parley-2"] = Page(og_page(title="Parley 2.0 is out", site="Parley Blog",
                                                  description=DESCRIPTION, image="/cover.png"))
    server.pages["/cover.png"] = Page(cover(), content_type="image/png")
    await server.start()
    yield server
    await server.stop()


@pytest.mark.parametrize(("width", "scheme"), VIEWS)
async def test_the_card_appears_live_for_the_other_member(
        browser: Browser, live_server: LiveServer, site: PageServer, width: int,
        scheme: str) -> None:
    link = site.url("/blog/parley-2")
    async with two_members(browser, live_server.url, "unfurl") as pair:
        alice, bob = pair.alice, pair.bob
        await bob.set_viewport_size({"width": width, "height": 800})
        await bob.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        await bob.reload()
        await wait_live(bob)

        for line in EARLIER:  # enough to scroll: bob's view follows the newest
            await alice.fill("#body", line)
            await alice.keyboard.press("Enter")
        await expect(bob.locator(".message")).to_have_count(len(EARLIER))
        await bob.fill("#body", "Are the release notes up yet?")
        await bob.keyboard.press("Enter")
        await expect(alice.locator(".message")).to_have_count(len(EARLIER) + 1)

        await alice.fill("#body", f"The release notes are up: {link}")
        await alice.keyboard.press("Enter")
        card = bob.locator(".message .link-preview")

        await expect(card.locator(".link-preview-title")).to_have_text("Parley 2.0 is out")
        await expect(card.locator(".link-preview-site")).to_have_text("Parley Blog")
        await expect(card.locator(".link-preview-description")).to_contain_text("threads, link")
        image = card.locator(".link-preview-image img")
        await expect(image).to_have_js_property("complete", True)
        assert await image.evaluate("img => img.naturalWidth") > 0
        assert (await image.get_attribute("src") or "").startswith("/media/")
        await expect(card.locator(".link-preview-remove")).to_be_hidden()  # not bob's message
        await expect(card).to_be_in_viewport(ratio=1)  # the view followed the card as it came
        box = await card.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width  # no sideways scroll
        name = "desktop" if width == 1280 else "phone"
        await screenshot(bob, f"link-preview-{name}-{scheme}")
        if scheme == "light":
            DOCS.mkdir(parents=True, exist_ok=True)
            await bob.screenshot(path=str(DOCS / f"link-preview-{name}.png"))
        assert len(site.requests_for("/blog/parley-2")) == 1

        # A reload shows the card from the server, its image's box reserved: no jump.
        ctx = await browser.new_context(viewport={"width": width, "height": 800},
                                        color_scheme=scheme,  # type: ignore[arg-type]
                                        storage_state=await bob.context.storage_state())
        await ctx.add_init_script(SHIFTS)
        page = await ctx.new_page()
        await page.goto(pair.room_url)
        await wait_live(page)
        await expect(page.locator(".link-preview-image img")).to_have_js_property("complete", True)
        await page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        shifts = await page.evaluate("() => window.layoutShifts")
        assert sum(s["value"] for s in shifts) < 0.05, shifts
        await ctx.close()


async def test_the_author_removes_the_card_with_its_cross(
        browser: Browser, live_server: LiveServer, site: PageServer) -> None:
    async with two_members(browser, live_server.url, "unfurled") as pair:
        alice, bob = pair.alice, pair.bob
        await wait_live(bob)
        await alice.fill("#body", site.url("/blog/parley-2"))
        await alice.keyboard.press("Enter")
        await expect(bob.locator(".link-preview")).to_have_count(1)
        await expect(alice.locator(".link-preview-remove")).to_be_visible()  # hers only
        await screenshot(alice, "link-preview-author")

        await alice.get_by_role("button", name="Remove the link preview").click()

        await expect(bob.locator(".link-preview")).to_have_count(0)  # live
        await expect(alice.locator(".link-preview")).to_have_count(0)
        await alice.reload()
        await expect(alice.locator(".message")).to_have_count(1)
        await expect(alice.locator(".link-preview")).to_have_count(0)


async def test_the_card_shows_and_goes_without_javascript(
        browser: Browser, live_server: LiveServer, site: PageServer) -> None:
    ctx = await browser.new_context(java_script_enabled=False)
    page = await ctx.new_page()
    await sign_up(page, live_server.url, unique("nojslink"))
    room_url = await create_room(page, live_server.url, unique("plainlinks"))
    await page.fill("#body", f"see {site.url('/blog/parley-2')}")
    await page.click("#composer button[type=submit]")
    card = page.locator(".link-preview")

    async with asyncio.timeout(WAIT):  # the fetch is in the background: reload until it shows
        while not await card.count():
            await page.goto(room_url)
    await expect(card.locator(".link-preview-title")).to_have_text("Parley 2.0 is out")

    await card.get_by_role("button", name="Remove the link preview").click()
    await page.wait_for_url(room_url + "#*")
    await expect(page.locator(".message")).to_have_count(1)
    await expect(card).to_have_count(0)
    await ctx.close()

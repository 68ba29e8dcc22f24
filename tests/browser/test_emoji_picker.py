"""Any emoji, found by name in a searchable picker: as a reaction, or into the composer."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    LiveServer,
    create_room,
    screenshot,
    sign_up,
    two_members,
    unique,
)


async def test_any_emoji_is_found_by_name_and_reacts(browser: Browser,
                                                     live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "emoji") as pair:
        alice, bob = pair.alice, pair.bob
        await alice.fill("#body", "ship it :rocket:")
        await alice.keyboard.press("Enter")
        message = bob.locator(".message", has_text="ship it")
        await expect(message.locator(".body")).to_have_text("ship it 🚀")  # :shortcode:

        await message.locator(".reaction-picker summary").click()
        search = message.get_by_role("searchbox", name="Search emoji")
        await search.fill("unicorn")
        await expect(message.get_by_role("button", name="React with unicorn")).to_be_visible()
        await search.press("Enter")

        reaction = bob.locator(".message", has_text="ship it").locator(".reaction")
        await expect(reaction).to_have_count(1)
        await expect(reaction).to_have_attribute("aria-pressed", "true")
        await expect(reaction.locator(".reaction-name")).to_have_text("unicorn")
        await expect(alice.locator(".message .reaction .count")).to_have_text("1")  # live


@pytest.mark.parametrize("view", ["desktop-light", "phone-dark"])
async def test_the_composer_smiley_inserts_an_emoji_at_the_caret(
        browser: Browser, live_server: LiveServer, view: str) -> None:
    size, scheme = view.split("-")
    ctx = await browser.new_context(color_scheme=scheme, viewport={
        "width": 1280 if size == "desktop" else 390, "height": 800})
    page = await ctx.new_page()
    await sign_up(page, live_server.url, unique("smiley"))
    await create_room(page, live_server.url, unique("emoji"))
    body = page.locator("#body")
    await body.fill("ship it")
    await body.evaluate("(el) => el.setSelectionRange(4, 4)")  # the caret after "ship"

    await page.get_by_role("button", name="Insert an emoji").click()
    picker = page.get_by_role("dialog", name="Insert an emoji")
    await picker.get_by_role("searchbox", name="Search emoji").fill("rocket")
    rocket = picker.get_by_role("button", name="Insert rocket")
    await expect(rocket).to_be_visible()
    await screenshot(page, f"composer-emoji-{view}")
    await rocket.click()

    await expect(body).to_have_value("ship🚀 it")
    await expect(picker).to_be_hidden()
    await expect(body).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator(".message .body")).to_have_text("ship🚀 it")
    await ctx.close()

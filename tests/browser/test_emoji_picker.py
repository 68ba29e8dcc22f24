"""Reactions with any emoji, found by name in a searchable picker."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import LiveServer, two_members


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

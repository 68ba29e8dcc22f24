"""Editing and reacting in Chromium: the other person's tab changes live, in place."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import LiveServer, screenshot, two_members, wait_live


async def test_an_edit_and_a_reaction_show_live_in_the_other_tab(browser: Browser,
                                                                  live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "edits") as pair:
        alice, bob = pair.alice, pair.bob
        await wait_live(alice)
        await wait_live(bob)
        await alice.fill("#body", "see you at 5")
        await alice.keyboard.press("Enter")
        await expect(bob.locator(".message .body")).to_have_text(["see you at 5"])
        await expect(bob.locator(".message .manage")).to_be_hidden()  # not bob's message

        await alice.locator(".message .manage-edit").click()  # edits in place
        await alice.fill("#edit-body", "see you at 6")
        await alice.get_by_role("button", name="Save", exact=True).click()

        await expect(bob.locator(".message .body")).to_have_text(["see you at 6"])
        await expect(bob.locator(".message .edited")).to_be_visible()
        await expect(alice.locator(".message .body")).to_have_text(["see you at 6"])
        await wait_live(alice)
        await bob.locator(".reaction-picker summary").click()
        search = bob.get_by_role("searchbox", name="Search emoji")
        await search.fill("party popper")
        await expect(bob.get_by_role("button", name="React with party popper")).to_be_visible()
        await search.press("Enter")
        await expect(bob.locator(".message .reaction .count")).to_have_text("1")
        await expect(bob.locator(".message .reaction")).to_have_attribute("aria-pressed", "true")
        await expect(alice.locator(".message .reaction .count")).to_have_text("1")
        await expect(alice.locator(".message .reaction")).to_have_attribute("aria-pressed", "false")
        await screenshot(alice, "message-edited-and-reacted")

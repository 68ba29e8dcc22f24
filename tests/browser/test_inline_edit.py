"""Editing in place: the message becomes a small form; ↑ edits my last one; Escape cancels."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import LiveServer, two_members


async def test_up_arrow_edits_my_last_message_in_place_and_everyone_sees_it(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "inline") as pair:
        alice, bob = pair.alice, pair.bob
        await alice.fill("#body", "first draft")
        await alice.keyboard.press("Enter")
        await expect(bob.locator(".message .body")).to_have_text(["first draft"])

        await alice.locator("#body").press("ArrowUp")
        editor = alice.locator(".message form.inline-edit textarea")
        await expect(editor).to_be_focused()
        await expect(editor).to_have_value("first draft")
        await editor.press("Escape")
        await expect(editor).to_have_count(0)
        await expect(alice.locator(".message .body")).to_have_text(["first draft"])
        await expect(alice.locator("#body")).to_be_focused()

        await alice.locator("#body").press("ArrowUp")
        await editor.fill("final **text**")
        await editor.press("Enter")

        for page in (alice, bob):
            await expect(page.locator(".message .body")).to_have_text(["final text"])
            await expect(page.locator(".message .body strong")).to_have_text("text")
            await expect(page.locator(".message .edited")).to_be_visible()
        await expect(alice.locator(".message form.inline-edit")).to_have_count(0)


async def test_a_refused_inline_edit_says_why_next_to_the_text(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "inlineno") as pair:
        alice = pair.alice
        await alice.fill("#body", "keep me")
        await alice.keyboard.press("Enter")
        await expect(alice.locator(".message")).to_have_count(1)

        await alice.locator(".message .manage-edit").click()
        editor = alice.locator(".message form.inline-edit textarea")
        await editor.fill("   ")
        await editor.press("Enter")

        await expect(alice.locator(".message form.inline-edit .field-error")).not_to_be_empty()
        await expect(editor).to_be_visible()
        await expect(pair.bob.locator(".message .body")).to_have_text(["keep me"])

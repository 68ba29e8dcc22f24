"""Reading a room: a "New" divider where I left off, and one header per run of messages."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    LiveServer,
    screenshot,
    set_involvement,
    two_members,
    wait_live,
)

CONTINUED = re.compile(r"\bcontinued\b")
FIFTH = re.compile(r"^\s*entry 5\s*$")


async def test_a_room_opens_at_the_first_unread_under_a_new_divider(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "leftoff") as pair:
        alice, bob = pair.alice, pair.bob
        await set_involvement(bob, pair.room_url, "everything")  # every message counted
        for n in range(25):
            await alice.fill("#body", f"read before {n}")
            await alice.keyboard.press("Enter")
        await expect(bob.locator(".message")).to_have_count(25)
        # bob's page marks what it showed as read (a GET writes nothing)
        await expect(bob.locator("section.room")).to_have_attribute("data-read-seq", "25")
        await bob.goto(f"{live_server.url}/rooms")
        await wait_live(bob)
        for n in range(3):
            await alice.fill("#body", f"unread {n}")
            await alice.keyboard.press("Enter")
        await expect(bob.locator(".sidebar a", has_text=pair.room_name).locator(".unread")) \
            .to_have_text("3")

        await bob.locator(".sidebar a", has_text=pair.room_name).click()

        divider = bob.locator("#new-messages-divider")
        await expect(divider).to_have_text("New")
        first_unread = bob.locator("#new-messages-divider + .message .body")
        await expect(first_unread).to_have_text("unread 0")
        await expect(divider).to_be_in_viewport()
        await expect(bob.locator(".message", has_text="read before 0")).not_to_be_in_viewport()


async def test_a_run_of_messages_by_one_author_shares_one_header(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "dense") as pair:
        alice, bob = pair.alice, pair.bob
        for text in ("first", "second", "third"):
            await alice.fill("#body", text)
            await alice.keyboard.press("Enter")
        await expect(bob.locator(".message")).to_have_count(3)
        await bob.fill("#body", "bob answers")
        await bob.keyboard.press("Enter")
        await expect(alice.locator(".message")).to_have_count(4)

        for page in (alice, bob):
            await page.reload()
            messages = page.locator(".message")
            await expect(messages.nth(0)).not_to_have_class(CONTINUED)
            await expect(messages.nth(1)).to_have_class(CONTINUED)
            await expect(messages.nth(2)).to_have_class(CONTINUED)
            await expect(messages.nth(3)).not_to_have_class(CONTINUED)
            await expect(messages.nth(1).locator(".avatar")).to_be_hidden()


@pytest.mark.parametrize("width", [1280, 390])
async def test_without_javascript_a_room_opens_at_its_newest_message(
        browser: Browser, live_server: LiveServer, width: int) -> None:
    async with two_members(browser, live_server.url, "nojs-newest") as pair:
        alice = pair.alice
        for n in range(40):
            await alice.fill("#body", f"line {n}")
            await alice.keyboard.press("Enter")
        await expect(pair.bob.locator(".message")).to_have_count(40)
        ctx = await browser.new_context(java_script_enabled=False,
                                        viewport={"width": width, "height": 800},
                                        storage_state=await alice.context.storage_state())
        page = await ctx.new_page()
        await page.goto(f"{live_server.url}/rooms")

        await page.locator(".sidebar a", has_text=pair.room_name).click()

        await expect(page.locator(".message", has_text="line 39")).to_be_in_viewport()
        await expect(page.locator(".message", has_text="line 0")).not_to_be_in_viewport()
        await screenshot(page, f"no-javascript-room-{width}")
        await ctx.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_a_message_link_opens_the_room_at_that_message_highlighted(
        browser: Browser, live_server: LiveServer, javascript: bool) -> None:
    async with two_members(browser, live_server.url, "links") as pair:
        for n in range(80):
            await pair.alice.fill("#body", f"entry {n}")
            await pair.alice.keyboard.press("Enter")
        await expect(pair.bob.locator(".message")).to_have_count(80)
        fifth = pair.bob.locator(".message", has=pair.bob.locator(".body", has_text=FIFTH))
        seq, element_id = await fifth.get_attribute("data-seq"), await fifth.get_attribute("id")
        link = f"{pair.room_url}?around={seq}#{element_id}"  # as search hits and quotes link
        ctx = await browser.new_context(java_script_enabled=javascript,
                                        storage_state=await pair.bob.context.storage_state())
        page = await ctx.new_page()

        await page.goto(link)

        target = page.locator(".message", has=page.locator(".body", has_text=FIFTH))
        await expect(target).to_be_in_viewport()
        assert await target.evaluate("(el) => el.matches(':target')")
        await screenshot(page, "message-link-" + ("js" if javascript else "no-js"))
        await ctx.close()


async def test_a_message_s_time_is_its_link(browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "timelink") as pair:
        await pair.alice.fill("#body", "link to me")
        await pair.alice.keyboard.press("Enter")
        message = pair.bob.locator(".message", has_text="link to me")
        element_id = await message.get_attribute("id")
        link = message.locator("a.message-link")
        assert (await link.get_attribute("href") or "").endswith("#" + element_id)

        await link.click()

        await expect(pair.bob).to_have_url(re.compile(r"\?around=\d+#" + element_id))
        await expect(message).to_be_in_viewport()
        assert await message.evaluate("(el) => el.matches(':target')")

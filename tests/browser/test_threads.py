"""Threads in Chromium: alice opens a thread beside the room on a desktop (its own page on a
phone), bob sees the root's summary and his "Threads" count change live, and replies appear
live in an open thread. Screenshots light and dark, saved to docs/screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser.conftest import LiveServer, screenshot, two_members, wait_live

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def _say(page: Page, text: str) -> None:
    await page.fill("#body", text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".messages .message .body", has_text=text)).to_have_count(1)


async def _reply_in_thread(page: Page, text: str, also: bool = False) -> None:
    composer = page.locator(".thread-composer")
    await composer.locator("textarea").fill(text)
    if also:
        await composer.locator("input[name=also_in_room]").check()
    await composer.locator("textarea").press("Enter")
    await expect(page.locator(".thread-replies .message .body", has_text=text)).to_have_count(1)


async def test_a_thread_beside_the_room_and_on_a_phone_live_for_both(
        browser, live_server: LiveServer) -> None:
    base = live_server.url
    async with two_members(browser, base, "threads") as room:
        alice, bob = room.alice, room.bob
        await alice.set_viewport_size({"width": 1280, "height": 800})
        await bob.set_viewport_size({"width": 1280, "height": 800})
        await _say(alice, "Where do we eat on Friday?")
        await _say(alice, "Also: who books the room?")
        await bob.goto(room.room_url)
        await wait_live(bob)
        await alice.goto(room.room_url)
        await wait_live(alice)
        root = alice.locator(".messages .message[data-seq=\"1\"]")

        await root.hover()
        await root.locator(".thread-action").click()
        panel = alice.locator("#thread-panel .thread")
        await panel.wait_for(state="attached")
        await expect(panel).to_be_visible()
        assert alice.url.startswith(room.room_url)  # the room stays beside it
        await expect(panel.locator(".thread-root .body")).to_have_text("Where do we eat on Friday?")
        await _reply_in_thread(alice, "Tacos at noon?")

        bob_root = bob.locator(".messages .message[data-seq=\"1\"]")
        await expect(bob_root.locator(".thread-count")).to_have_text("1 reply")
        await expect(bob_root.locator(".thread-last")).to_contain_text("last ")
        await expect(bob.locator(".messages .message", has_text="Tacos at noon")).to_have_count(0)

        await bob_root.locator(".thread-summary").click()  # bob opens it beside the room too
        await expect(bob.locator("#thread-panel .thread-replies .message")).to_have_count(1)
        await _reply_in_thread(bob, "Yes, and I will ask @everyone", also=True)
        await expect(alice.locator("#thread-panel .thread-replies .message .body",
                                   has_text="I will ask")).to_have_count(1)  # live in her panel
        await expect(alice.locator(".messages .message .thread-context")).to_have_count(1)
        await expect(root.locator(".thread-count")).to_have_text("2 replies")

        await alice.locator("#thread-panel [data-thread-close]").click()  # bob now follows it
        await expect(alice.locator("#thread-panel")).to_be_hidden()
        await root.hover()
        await root.locator(".thread-action").click()
        await _reply_in_thread(alice, "Booked for 12:00.")
        await bob.locator("#thread-panel [data-thread-close]").click()
        await expect(bob.locator("#threads-unread .count")).to_have_text("1")

        DOCS.mkdir(parents=True, exist_ok=True)
        for scheme in ("light", "dark"):
            await alice.emulate_media(color_scheme=scheme)
            await screenshot(alice, f"thread-desktop-{scheme}")
            if scheme == "light":
                await alice.screenshot(path=str(DOCS / "thread-desktop.png"))

        await alice.set_viewport_size({"width": 390, "height": 844})
        await alice.emulate_media(color_scheme="light")
        await alice.goto(room.room_url)
        phone_root = alice.locator(".messages .message[data-seq=\"1\"]")
        await phone_root.locator(".thread-summary").click()
        await alice.wait_for_url("**/threads/*")
        await expect(alice.locator(".thread-replies .message")).to_have_count(3)
        await wait_live(alice)
        await bob.goto(room.room_url)
        await wait_live(bob)
        await bob.locator(".messages .message[data-seq=\"1\"]") \
            .locator(".thread-summary").click()
        await _reply_in_thread(bob, "See you there")
        await expect(alice.locator(".thread-replies .message .body",
                                   has_text="See you there")).to_have_count(1)
        for scheme in ("light", "dark"):
            await alice.emulate_media(color_scheme=scheme)
            await screenshot(alice, f"thread-phone-{scheme}")
            if scheme == "light":
                await alice.screenshot(path=str(DOCS / "thread-phone.png"))

        await bob.goto(f"{base}/threads")
        await expect(bob.locator(".followed-thread")).to_have_count(1)
        await expect(bob.locator(".followed-thread .followed-thread-replies .message")) \
            .to_have_count(3)
        await bob.emulate_media(color_scheme="dark")
        await screenshot(bob, "threads-page-dark")

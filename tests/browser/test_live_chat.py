"""Live chat in Chromium: two people in two browser contexts, messages and typing pushed."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    LiveServer,
    screenshot,
    set_involvement,
    two_members,
    wait_live,
)


async def test_two_people_chat_live_and_see_each_other_typing(browser: Browser,
                                                              live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "live") as pair:
        alice, bob = pair.alice, pair.bob
        await wait_live(alice)
        await wait_live(bob)

        await bob.locator("#body").press_sequentially("hello alice", delay=50)
        typing = alice.locator(".typing")
        bob_name = await bob.locator(".whoami").text_content()
        await expect(typing).to_have_text(f"{bob_name} is typing…")
        await screenshot(alice, "live-typing")
        await bob.keyboard.press("Enter")
        await expect(alice.locator(".message .body")).to_have_text(["hello alice"])
        await expect(typing).to_have_text("")
        await alice.fill("#body", "hi bob, live!")
        await alice.keyboard.press("Enter")

        await expect(bob.locator(".message .body")).to_have_text(["hello alice", "hi bob, live!"])
        await expect(alice.locator(".message .body")).to_have_text(["hello alice", "hi bob, live!"])
        await screenshot(bob, "live-chat")


async def test_unread_badge_updates_live_in_the_sidebar(browser: Browser,
                                                        live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "badges") as pair:
        alice, bob, room_name = pair.alice, pair.bob, pair.room_name
        await set_involvement(bob, pair.room_url, "everything")  # every message counted
        await bob.goto(f"{live_server.url}/rooms")
        await wait_live(bob)

        for n in range(3):
            await alice.fill("#body", f"ping {n}")
            await alice.keyboard.press("Enter")
        await expect(alice.locator(".message .body")).to_have_text([f"ping {n}" for n in range(3)])

        badge = bob.locator(".sidebar a", has_text=room_name).locator(".unread")
        await expect(badge).to_have_text("3")
        await bob.locator(".sidebar a", has_text=room_name).click()
        await expect(bob.locator(".message .body")).to_have_count(3)
        await expect(badge).to_have_text("")


async def test_a_tab_without_websockets_stays_current_by_polling(browser: Browser,
                                                                 live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "poll",
                           bob_init_script="delete window.WebSocket") as pair:
        alice, bob = pair.alice, pair.bob

        await alice.fill("#body", "can you see this without a socket?")
        await alice.keyboard.press("Enter")

        await expect(bob.locator(".message .body")).to_have_text(
            ["can you see this without a socket?"])

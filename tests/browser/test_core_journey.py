"""The core journey in Chromium: sign up, create a room, a second user joins, both post."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import LiveServer, create_room, screenshot, sign_up, unique


async def test_two_people_sign_up_create_join_and_talk(browser: Browser,
                                                      live_server: LiveServer) -> None:
    base = live_server.url
    alice_ctx, bob_ctx = await browser.new_context(), await browser.new_context()
    alice, bob = await alice_ctx.new_page(), await bob_ctx.new_page()
    room_name = unique("general")
    await sign_up(alice, base, unique("alice"))
    await sign_up(bob, base, unique("bob"))
    room_url = await create_room(alice, base, room_name, "Company-wide chatter")

    await alice.wait_for_selector("#composer[data-ready]")  # Enter-to-send is wired after settle
    await alice.fill("#body", "Hello <b>bob</b>\nsecond line")
    await alice.keyboard.press("Enter")
    await expect(alice.locator(".message")).to_have_count(1)
    await bob.goto(f"{base}/rooms")
    await bob.locator(".room-item", has_text=room_name).get_by_role("button", name="Join").click()
    await bob.wait_for_url(room_url)
    await bob.fill("#body", "Hi alice!")
    await bob.click("#composer button[type=submit]")
    await expect(bob.locator(".message")).to_have_count(2)  # posted before alice reloads
    await alice.reload()

    await expect(alice.locator(".message .body")).to_have_text(
        ["Hello <b>bob</b>\nsecond line", "Hi alice!"])
    await expect(bob.locator(".message.mine .body")).to_have_text(["Hi alice!"])
    await expect(alice.locator("#body")).to_have_value("")
    await screenshot(alice, "room-desktop")
    await alice_ctx.close()
    await bob_ctx.close()


async def test_the_core_works_with_javascript_off(browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context(java_script_enabled=False)
    page = await ctx.new_page()
    await sign_up(page, base, unique("nojs"))
    room_url = await create_room(page, base, unique("quiet"))

    for n in range(3):
        await page.fill("#body", f"plain form post {n}")
        await page.click("#composer button[type=submit]")
        await page.wait_for_url(f"{room_url}#message-*")

    await expect(page.locator(".message .body")).to_have_text(
        [f"plain form post {n}" for n in range(3)])
    await page.fill("#body", "")
    await page.click("#composer button[type=submit]")  # the browser's own check stops it
    await expect(page.locator(".message")).to_have_count(3)
    await ctx.close()


async def test_a_refused_message_keeps_the_text_and_explains(browser: Browser,
                                                             live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await sign_up(page, base, unique("wordy"))
    await create_room(page, base, unique("limits"))
    essay = "word " * 2001

    await page.fill("#body", essay)
    await page.keyboard.press("Enter")

    await expect(page.locator("#composer-error")).to_contain_text("at most 10,000 characters")
    await expect(page.locator("#body")).to_have_value(essay)
    await expect(page.locator(".message")).to_have_count(0)
    await page.fill("#body", "short and sweet")
    await page.keyboard.press("Enter")
    await expect(page.locator(".message .body")).to_have_text(["short and sweet"])
    await expect(page.locator("#composer-error")).to_have_text("")
    await ctx.close()

"""In Chromium: the first person signs up as administrator, copies the join link from the
admin page, a second browser signs up with it, and both chat."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import ARTIFACTS, PASSWORD, create_room


async def test_the_administrator_shares_the_join_link_and_both_chat(browser: Browser,
                                                                    fresh_server: str) -> None:
    base = fresh_server
    admin_ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    await admin_ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    guest_ctx = await browser.new_context()
    admin, guest = await admin_ctx.new_page(), await guest_ctx.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        await admin.goto(f"{base}/register")
        await expect(admin.locator("h1")).to_have_text("Create the administrator account")
        await _fill_sign_up(admin, "founder")
        await admin.wait_for_url(f"{base}/rooms")
        await guest.goto(f"{base}/register")  # without the link: told to ask for it
        await expect(guest.locator(".signup-refusal")).to_contain_text("join link")

        await admin.get_by_role("link", name="Admin").click()
        await admin.wait_for_url(f"{base}/admin")
        await admin.get_by_role("button", name="Copy").click()
        await expect(admin.get_by_role("button", name="Copied")).to_be_visible()
        join_url = await admin.evaluate("navigator.clipboard.readText()")
        await admin.fill("#instance-name", "Acme chat")
        await admin.get_by_role("button", name="Save").click()
        await expect(admin.locator(".brand")).to_have_text("Acme chat")

        await guest.goto(join_url)
        await _fill_sign_up(guest, "newcomer")
        await guest.wait_for_url(f"{base}/rooms")
        room_url = await create_room(admin, base, "general")
        await guest.goto(room_url)
        await guest.get_by_role("button", name="Join room").click()
        await guest.wait_for_selector("#composer[data-ready]")
        await admin.goto(room_url)
        await admin.wait_for_selector("html[data-live=open]", state="attached")
        await guest.fill("#body", "Hello from the join link!")
        await guest.keyboard.press("Enter")

        await expect(admin.locator(".message .body")).to_have_text(["Hello from the join link!"])
        await expect(guest).to_have_title("# general · Acme chat")
        await admin.goto(f"{base}/admin")  # both people and the room, for people to look at
        await admin.screenshot(path=str(ARTIFACTS / "admin-desktop.png"), full_page=True)
        await admin.set_viewport_size({"width": 390, "height": 844})
        await admin.screenshot(path=str(ARTIFACTS / "admin-phone.png"), full_page=True)
    finally:
        await admin_ctx.close()
        await guest_ctx.close()


async def _fill_sign_up(page, username: str) -> None:  # type: ignore[no-untyped-def]
    await page.fill("#username", username)
    await page.fill("#email", f"{username}@example.com")
    await page.fill("#password", PASSWORD)
    await page.click("form button[type=submit]")

"""A private room in Chromium: create, invite with search-as-you-type, accept, talk; outsiders see nothing."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, screenshot, sign_up, unique


async def test_alice_invites_bob_into_a_private_room_and_mallory_cannot_find_it(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    contexts = [await browser.new_context(viewport={"width": 1280, "height": 800})
                for _ in range(3)]
    alice, bob, mallory = [await ctx.new_page() for ctx in contexts]
    names = {"alice": unique("alice"), "bob": unique("bob"), "mallory": unique("mallory")}
    room_name = unique("plans")
    for page, who in ((alice, "alice"), (bob, "bob"), (mallory, "mallory")):
        await sign_up(page, base, names[who])

    room_url = await _create_private_room(alice, base, room_name)
    await alice.fill("#invite-username", "nobody-by-that-name")
    await alice.get_by_role("button", name="Invite").click()
    await expect(alice.locator("#username-error")).to_have_text(
        "There is no user called “nobody-by-that-name”.")
    await alice.fill("#invite-username", "")
    await alice.locator("#invite-username").press_sequentially(names["bob"], delay=20)
    await expect(alice.locator(f"datalist option[value='{names['bob']}']")).to_have_count(1)
    await alice.get_by_role("button", name="Invite").click()
    await expect(alice.locator(".pending-invitation .invitee")).to_have_text([names["bob"]])
    await bob.goto(f"{base}/rooms")
    await screenshot(bob, "private-invitation")
    await bob.locator(".invitation", has_text=room_name).get_by_role("button", name="Accept").click()
    await expect(bob.locator("#invitation-outcome")).to_contain_text(f"You joined “{room_name}”.")
    await bob.locator("#invitation-outcome").get_by_role("link", name="Open it").click()
    await bob.wait_for_url(room_url)
    await _send(bob, "hi alice, thanks for the invite")
    await alice.reload()
    await _send(alice, "welcome, bob")
    await bob.reload()

    for page in (alice, bob):
        await expect(page.locator(".message .body")).to_have_text(
            ["hi alice, thanks for the invite", "welcome, bob"])
    await expect(alice.locator(".members .member-name")).to_have_text([names["alice"], names["bob"]])
    await screenshot(alice, "private-room")
    response = await mallory.goto(room_url)
    assert response is not None and response.status == 404
    await mallory.goto(f"{base}/rooms")
    await expect(mallory.locator("body")).not_to_contain_text(room_name)
    await expect(mallory.locator(f"a[href='{room_url.removeprefix(base)}']")).to_have_count(0)
    for ctx in contexts:
        await ctx.close()


async def _create_private_room(page: Page, base: str, name: str) -> str:
    await page.goto(f"{base}/rooms")
    await page.fill("#name", name)
    await page.check("input[name=visibility][value=private]")
    await page.click("text=Create room")
    await page.wait_for_url(f"{base}/rooms/*")
    await expect(page.locator(".room-header h1")).to_contain_text(name)
    return page.url


async def _send(page: Page, text: str) -> None:
    await page.wait_for_selector("#composer[data-ready]")
    before = await page.locator(".message").count()
    await page.fill("#body", text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".message")).to_have_count(before + 1)

"""The pleasant parts in Chromium: keyboard, phone layout, tab title, days and the new-messages pill."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    LiveServer,
    create_room,
    join_room,
    screenshot,
    sign_up,
    unique,
    wait_live,
)

PHONE = {"width": 360, "height": 740}
AT_BOTTOM = """() => { const l = document.querySelector('.room .messages');
                      return l.scrollHeight - l.scrollTop - l.clientHeight < 5; }"""


async def test_enter_sends_shift_enter_breaks_the_line_and_the_composer_keeps_focus(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await sign_up(page, base, unique("keys"))
    await create_room(page, base, unique("keyboard"))
    await page.wait_for_selector("#composer[data-ready]")

    await page.focus("#body")
    await page.keyboard.type("first line")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("second line")
    await page.keyboard.press("Enter")
    await expect(page.locator(".message .body")).to_have_text(["first line\nsecond line"])
    await page.keyboard.type("sent with the button")
    await page.click("#composer button[type=submit]")

    await expect(page.locator(".message .body")).to_have_count(2)
    await expect(page.locator("#body")).to_be_focused()
    await expect(page.locator("#body")).to_have_value("")
    await expect(page.locator(".message time").first).to_have_text("just now")
    await expect(page.locator(".messages .day-separator")).to_have_text(["Today"])
    await ctx.close()


async def test_tab_reaches_a_skip_link_with_a_visible_focus_ring(browser: Browser,
                                                                live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await sign_up(page, base, unique("tabber"))

    await page.keyboard.press("Tab")

    skip = page.locator(".skip-link")
    await expect(skip).to_be_focused()
    outline = await skip.evaluate(
        "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth")
    assert outline == "solid 3px"
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await ctx.close()


async def test_on_a_phone_the_sidebar_folds_behind_a_button_and_escape_closes_it(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context(viewport=PHONE)
    page = await ctx.new_page()
    await sign_up(page, base, unique("phone"))
    room_name = unique("pocket")
    await create_room(page, base, room_name)
    toggle = page.get_by_role("button", name="Rooms")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await expect(page.locator("#sidebar")).to_be_hidden()
    await screenshot(page, "room-phone")

    await toggle.click()
    await expect(page.locator("#sidebar")).to_be_visible()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await screenshot(page, "sidebar-phone")
    await page.keyboard.press("Escape")

    await expect(page.locator("#sidebar")).to_be_hidden()
    await expect(toggle).to_be_focused()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing sticks out sideways
    await ctx.close()


async def test_the_tab_title_counts_unread_messages_live(browser: Browser,
                                                         live_server: LiveServer) -> None:
    base = live_server.url
    alice_ctx, bob_ctx = await browser.new_context(), await browser.new_context()
    alice, bob = await alice_ctx.new_page(), await bob_ctx.new_page()
    bob_name = unique("bob")
    await sign_up(alice, base, unique("alice"))
    await sign_up(bob, base, bob_name)
    room_url = await create_room(alice, base, unique("titles"))
    await join_room(bob, base, room_url)
    await bob.goto(f"{base}/rooms")
    await wait_live(bob)

    # bob's involvement in the room is the default, mentions only: the title counts those.
    for n in range(2):
        await alice.fill("#body", f"@{bob_name} ping {n}")
        await alice.keyboard.press("Enter")

    await expect(bob).to_have_title("(2) Rooms · Parley")
    await bob.goto(room_url)
    await expect(bob.locator(".message")).to_have_count(2)
    # The page marks what it showed as read (a GET writes nothing): wait until it has sent it.
    await expect(bob.locator("section.room")).to_have_attribute("data-read-seq", "2")
    await bob.goto(f"{base}/rooms")
    await expect(bob).to_have_title("Rooms · Parley")
    await alice_ctx.close()
    await bob_ctx.close()


async def test_scrolled_up_a_reader_gets_a_pill_that_jumps_to_new_messages(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    alice_ctx = await browser.new_context()
    bob_ctx = await browser.new_context(viewport={"width": 1200, "height": 600})
    alice, bob = await alice_ctx.new_page(), await bob_ctx.new_page()
    await sign_up(alice, base, unique("alice"))
    await sign_up(bob, base, unique("bob"))
    room_url = await create_room(alice, base, unique("scroll"))
    await alice.wait_for_selector("#composer[data-ready]")
    for n in range(25):
        await alice.fill("#body", f"backlog {n}")
        await alice.keyboard.press("Enter")
    await expect(alice.locator(".message")).to_have_count(25)
    await join_room(bob, base, room_url)
    await wait_live(bob)
    messages = bob.locator(".messages")
    await bob.wait_for_function(AT_BOTTOM)

    await alice.fill("#body", "while bob reads at the bottom")
    await alice.keyboard.press("Enter")
    await expect(bob.locator(".message .body").last).to_have_text("while bob reads at the bottom")
    await bob.wait_for_function(AT_BOTTOM)
    await expect(bob.locator("#new-messages")).to_be_hidden()
    # The page hears the scroll now rather than on the next frame (no guess at how long that is).
    await messages.evaluate("l => { l.scrollTop = 0; l.dispatchEvent(new Event('scroll')); }")
    await alice.fill("#body", "while bob reads old ones")
    await alice.keyboard.press("Enter")
    pill = bob.get_by_role("button", name="New messages")
    await expect(pill).to_be_visible()
    assert await messages.evaluate("l => l.scrollTop") == 0  # his place is kept
    await screenshot(bob, "new-messages-pill")
    await pill.click()

    await expect(pill).to_be_hidden()
    await bob.wait_for_function(AT_BOTTOM)
    await alice_ctx.close()
    await bob_ctx.close()

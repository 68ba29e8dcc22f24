"""Things every page must get right: no CSP violations, honest controls, the right address."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, create_room, sign_up, two_members, unique

# Collects what the page's CSP refused, from the DOM event (console lines are kept too).
CSP_LISTENER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                           + e.sourceFile + ":" + e.lineNumber));
"""


def _watch(page: Page, seen: list[str]) -> None:
    page.on("console", lambda msg: seen.append(f"{page.url}: {msg.text}")
            if msg.type == "error" or "Content Security Policy" in msg.text else None)


async def _violations(page: Page, url: str) -> list[str]:
    await page.goto(url)
    await page.wait_for_load_state("load")
    await page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")
    return [f"{url}: {v}" for v in await page.evaluate("() => window.__csp")]


async def test_no_page_breaks_its_content_security_policy(browser: Browser,
                                                          live_server: LiveServer) -> None:
    base = live_server.url
    console: list[str] = []
    found: list[str] = []
    async with two_members(browser, base, "csp", bob_init_script=CSP_LISTENER) as room:
        bob = room.bob
        _watch(bob, console)
        await room.alice.fill("#body", "a **message** with :tada: and https://example.com")
        await room.alice.keyboard.press("Enter")
        await expect(bob.locator(".message")).to_have_count(1)
        await room.alice.goto(f"{base}/rooms")
        await room.alice.fill("#name", unique("secret"))
        await room.alice.check("input[name=visibility][value=private]")
        await room.alice.click("text=Create room")
        await room.alice.fill("#invite-username", await bob.locator(".whoami").text_content())
        await room.alice.locator(".invite button[type=submit]").click()
        await expect(room.alice.locator(".pending-list li")).to_have_count(1)
        alice_name = await room.alice.locator(".whoami").text_content()
        await bob.fill("#body", "bob's own")
        await bob.keyboard.press("Enter")
        edit_url = await bob.locator(".message.mine .manage-edit").get_attribute("href")

        pages = ["/login", "/register", "/password/reset", "/help/javascript", "/no/such/page",
                 "/rooms", room.room_url, "/profile", "/dm", f"/dm/{alice_name}", "/search",
                 "/search?q=message", str(edit_url)]
        for path in pages:
            found += await _violations(bob, path if path.startswith("http") else base + path)
        await bob.goto(room.room_url)
        await bob.locator(".reaction-picker summary").first.click()
        await bob.locator(".reaction-picker .pick").first.click()
        await expect(bob.locator(".reaction")).to_have_count(1)
        await bob.locator(".room-menu > summary").click()
        found += [f"room after clicks: {v}" for v in await bob.evaluate("() => window.__csp")]
        reported = [line for line in console if "Content Security Policy" in line]
        # The listener itself works: an inline style attribute is reported.
        await bob.evaluate("() => document.body.insertAdjacentHTML('beforeend', "
                           "'<b style=\"color:red\">x</b>')")
        await bob.wait_for_function("() => window.__csp.length > 0")

    assert found == []
    assert reported == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_edit_and_delete_show_only_to_who_may_use_them(browser: Browser,
                                                           live_server: LiveServer,
                                                           javascript: bool) -> None:
    base = live_server.url
    async with two_members(browser, base, "manage") as room:
        await room.alice.fill("#body", "alice wrote this")
        await room.alice.keyboard.press("Enter")
        await expect(room.bob.locator(".message")).to_have_count(1)
        await room.bob.fill("#body", "bob wrote this")
        await room.bob.keyboard.press("Enter")
        await expect(room.alice.locator(".message")).to_have_count(2)
        ctx = room.bob.context if javascript else await browser.new_context(
            java_script_enabled=False, storage_state=await room.bob.context.storage_state())
        bob = await ctx.new_page()
        owner_ctx = room.alice.context if javascript else await browser.new_context(
            java_script_enabled=False, storage_state=await room.alice.context.storage_state())
        alice = await owner_ctx.new_page()

        await bob.goto(room.room_url)
        await alice.goto(room.room_url)

        alices, bobs = (bob.locator(".message", has_text=f"{who} wrote this")
                        for who in ("alice", "bob"))
        await expect(alices.locator(".manage-edit")).to_be_hidden()
        await expect(alices.locator(".manage-delete")).to_be_hidden()
        await expect(bobs.locator(".manage-edit")).to_be_visible()
        owner_view = alice.locator(".message", has_text="bob wrote this")
        await expect(owner_view.locator(".manage-delete")).to_be_visible()  # the room's owner
        await expect(owner_view.locator(".manage-edit")).to_be_hidden()


async def test_posting_without_javascript_lands_on_the_new_message(browser: Browser,
                                                                   live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 700})
    page = await ctx.new_page()
    await sign_up(page, base, unique("nojs"))
    await create_room(page, base, unique("long"))
    for n in range(12):
        await page.fill("#body", f"filler line {n}\n\nwith a second paragraph")
        await page.click("#composer button[type=submit]")

    await page.fill("#body", "this one is mine")
    await page.click("#composer button[type=submit]")

    await page.wait_for_url("**/rooms/*#message-*")
    mine = page.locator(".message", has_text="this one is mine")
    await expect(mine).to_be_in_viewport()
    await ctx.close()


async def test_logging_out_leaves_the_room_address(browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await sign_up(page, base, unique("leaver"))
    room_url = await create_room(page, base, unique("exit"))
    await page.wait_for_selector("#composer[data-ready]")

    await page.get_by_role("button", name="Log out").click()

    await page.wait_for_url(f"{base}/login")
    await expect(page.locator(".flashes")).to_contain_text("logged out")
    assert page.url != room_url
    await ctx.close()


async def test_choices_in_notification_settings_are_not_stretched(browser: Browser,
                                                                 live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await ctx.new_page()
    await sign_up(page, base, unique("boxes"))
    await create_room(page, base, unique("mail"))
    await page.locator(".room-menu > summary").click()
    radios = page.locator(".involvement-form input[type=radio]")
    await expect(radios).to_have_count(4)

    radio_widths = [(await radios.nth(n).bounding_box() or {})["width"] for n in range(4)]
    await page.goto(f"{base}/profile")
    checkbox = await page.locator(".notifications-form input[type=checkbox]").bounding_box()

    assert max(radio_widths) < 30
    assert checkbox is not None and checkbox["width"] < 30
    await ctx.close()


async def test_a_session_of_clicks_and_swaps_breaks_no_content_security_policy(
        browser: Browser, live_server: LiveServer) -> None:
    """Pages checked as they load were clean, but htmx's settle step copied `style` attributes
    when a boosted click swapped a page in: 4-8 violations per click in the sidebar."""
    base = live_server.url
    console: list[str] = []
    async with two_members(browser, base, "csp-clicks", bob_init_script=CSP_LISTENER) as room:
        bob = room.bob
        _watch(bob, console)
        await create_room(bob, base, unique("second"))
        await bob.goto(room.room_url)
        alice_name = await room.alice.locator(".whoami").text_content()
        await bob.goto(f"{base}/dm/{alice_name}")
        await bob.goto(room.room_url)
        for _ in range(2):
            for link in await bob.locator(".sidebar .room-links a").all():
                await link.click()
                await expect(bob.locator("section.room")).to_be_visible()
            await bob.goto(room.room_url)  # the room's header menu leads to its webhooks
            await bob.locator(".room-menu > summary").click()
            await bob.get_by_role("link", name="Incoming webhooks").click()
            await bob.wait_for_load_state("load")
            for n in range(2):  # Browse rooms, New message
                await bob.locator(".sidebar-all").nth(n).click()
                await bob.wait_for_load_state("load")
            await bob.locator(".search-link").click()
            await bob.wait_for_load_state("load")
            await bob.locator(".profile-link").click()
            await bob.wait_for_load_state("load")
            await bob.locator(".sidebar .room-links a").first.click()
            await room.alice.fill("#body", "while bob clicks around")
            await room.alice.keyboard.press("Enter")
            await expect(bob.locator(".message", has_text="while bob clicks around")).not_to_have_count(0)
        assert await bob.evaluate("() => window.__csp") == []
    assert [line for line in console if "Content Security Policy" in line] == []


async def test_back_and_forward_break_no_content_security_policy(
        browser: Browser, live_server: LiveServer) -> None:
    """htmx restored pages from its history snapshot, with the style attributes scripts had
    set (the composer's height): one violation per step back or forward."""
    base = live_server.url
    console: list[str] = []
    async with two_members(browser, base, "csp-history", bob_init_script=CSP_LISTENER) as room:
        bob = room.bob
        _watch(bob, console)
        await create_room(bob, base, unique("elsewhere"))
        await bob.goto(room.room_url)
        await bob.fill("#body", "a draft\nthat grows\nthe composer\nto five\nlines")
        for _ in range(3):
            await bob.locator(".sidebar .room-links a").nth(1).click()
            await expect(bob.locator("section.room")).to_be_visible()
            await bob.go_back()
            await expect(bob.locator("#body")).to_be_visible()
            await bob.go_forward()
            await expect(bob.locator("#body")).to_be_visible()
        await bob.go_back()
        await expect(bob.locator("#body")).to_be_visible()
        await bob.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")
        assert await bob.evaluate("() => window.__csp") == []
    assert [line for line in console if "Content Security Policy" in line] == []

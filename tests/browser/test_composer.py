"""The one composer: drafts kept per room across reloads, a textarea that grows with its text,
and one set of page modules (so one poller) however the page was reached."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, create_room, sign_up, unique
from tests.browser.test_private_messages import has_a_key, make_team, open_conversation

# The page's scripts: the early one, the two vendored classic ones, then the one entry module
# (all under the static files' current version, shown here as <v>).
SCRIPTS = """() => Array.from(document.scripts, (s) => (s.type || "classic") + " "
    + new URL(s.src, location.href).pathname.replace(/^\\/static\\/[0-9a-f]{12}\\//, "/static/<v>/"))"""
EXPECTED_SCRIPTS = ["classic /static/<v>/js/early.js", "classic /static/<v>/vendor/htmx.min.js",
                    "classic /static/<v>/vendor/ws.min.js", "module /static/<v>/js/main.js"]


async def _height(page: Page) -> float:
    box = await page.locator("#body").bounding_box()
    assert box is not None
    return box["height"]


async def test_a_draft_is_kept_per_room_across_a_reload_and_navigation(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await sign_up(page, base, unique("drafty"))
    first = await create_room(page, base, unique("first"))
    second = await create_room(page, base, unique("second"))
    await page.goto(first)
    await page.wait_for_selector("#composer[data-ready]")

    await page.locator("#body").fill("half a thought\nand a second line")
    await page.reload()
    await expect(page.locator("#body")).to_have_value("half a thought\nand a second line")

    await page.goto(second)
    await page.wait_for_selector("#composer[data-ready]")
    await expect(page.locator("#body")).to_have_value("")
    await page.locator("#body").fill("the other room's draft")
    # back by a boosted link in the sidebar: the page is swapped, not reloaded
    await page.locator(f"#sidebar a[data-room-id='{first.rsplit('/', 1)[-1]}']").click()
    await page.wait_for_url(first + "#latest")
    await expect(page.locator("#body")).to_have_value("half a thought\nand a second line")

    await page.locator("#body").press("Enter")  # sent: the draft is gone
    await expect(page.locator(".message .body")).to_have_text(["half a thought\nand a second line"])
    await page.reload()
    await expect(page.locator("#body")).to_have_value("")
    await page.goto(second)
    await expect(page.locator("#body")).to_have_value("the other room's draft")
    await ctx.close()


async def test_the_textarea_grows_with_its_lines(browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await sign_up(page, base, unique("grower"))
    await create_room(page, base, unique("tall"))
    await page.wait_for_selector("#composer[data-ready]")
    await page.locator("#body").fill("one line")
    one_line = await _height(page)

    await page.locator("#body").fill("one\ntwo\nthree\nfour\nfive")

    assert await _height(page) > one_line
    await page.locator("#body").fill("")
    assert await _height(page) == one_line  # and shrinks back once emptied
    await ctx.close()


async def test_every_page_runs_one_entry_module_so_a_direct_room_polls_once(
        browser: Browser, live_server: LiveServer) -> None:
    """Structural, not timed: the only scripts are htmx, its ws extension and main.js (a module
    is evaluated once per document, and live.js's poller is its only one), before and after
    boosted navigation into a direct room on a tab without WebSockets."""
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice, bob = team.pages["alice"], team.pages["bob"]
    await has_a_key(alice)
    await has_a_key(bob)
    await alice.goto(f"{base}/dm/{team.names['bob']}")
    await alice.get_by_role("button", name="Start the conversation").click()
    await alice.wait_for_url(f"{base}/rooms/*")
    conversation = alice.url
    await open_conversation(bob, base, conversation)

    polling = await team.contexts[0].new_page()
    await polling.add_init_script("delete window.WebSocket")
    await polling.goto(f"{base}/rooms")
    assert await polling.evaluate(SCRIPTS) == EXPECTED_SCRIPTS
    await polling.locator(f"#sidebar a[href='{conversation.removeprefix(base)}']").click()
    await polling.wait_for_url(conversation)
    await expect(polling.locator(".room.direct")).to_be_visible()
    assert await polling.evaluate(SCRIPTS) == EXPECTED_SCRIPTS
    assert await polling.evaluate("document.body.querySelectorAll('script').length") == 0

    await bob.locator("#body").fill("heard by polling")
    await bob.keyboard.press("Enter")
    await expect(polling.locator(".message .body")).to_have_text(["heard by polling"], timeout=30_000)
    await team.close()

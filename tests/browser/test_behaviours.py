"""The page's component lifecycle (static/js/behaviours.js): an element's behaviour connects
once however the element arrived (the first page, a boosted navigation, a socket frame) and
disconnects when it leaves, so navigating back and forth leaves one set of listeners."""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, create_room, sign_up, two_members, unique

# Records every connect and disconnect the registry announces, per element (numbered on first
# sight), before any of the page's scripts runs.
LIFECYCLE_LOG = """
window.__lifecycle = [];
const numbers = new WeakMap();
let counted = 0;
const numberOf = (el) => { if (!numbers.has(el)) numbers.set(el, ++counted); return numbers.get(el); };
for (const type of ["behaviour:connect", "behaviour:disconnect"]) {
  document.addEventListener(type, (e) => window.__lifecycle.push(
    { type: type.split(":")[1], name: e.detail.behaviour, element: numberOf(e.detail.element) }));
}
"""

COUNT = """([type, name]) => window.__lifecycle.filter((e) => e.type === type && e.name === name).length"""
TWICE = """() => { const seen = new Set(); const twice = [];
  for (const e of window.__lifecycle) {
    const key = e.type + " " + e.name + " " + e.element;
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice; }"""


async def _count(page: Page, kind: str, name: str) -> int:
    return int(await page.evaluate(COUNT, [kind, name]))


async def _wait_count(page: Page, kind: str, name: str, wanted: int) -> None:
    await page.wait_for_function(
        "([type, name, wanted]) => window.__lifecycle.filter("
        "(e) => e.type === type && e.name === name).length >= wanted", arg=[kind, name, wanted])
    assert await _count(page, kind, name) == wanted


async def _logged(browser: Browser) -> tuple[BrowserContext, Page]:
    ctx = await browser.new_context()
    await ctx.add_init_script(LIFECYCLE_LOG)
    return ctx, await ctx.new_page()


def _room_link(page: Page, url: str) -> str:
    return f"#sidebar a[data-room-id='{url.rsplit('/', 1)[-1]}']"


async def test_a_behaviour_connects_once_at_load_and_once_per_boosted_page(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    ctx, page = await _logged(browser)
    await sign_up(page, base, unique("lifecycle"))
    first = await create_room(page, base, unique("first"))
    second = await create_room(page, base, unique("second"))
    await page.goto(first)
    await _wait_count(page, "connect", "composer", 1)

    await page.locator(_room_link(page, second)).click()
    await page.wait_for_url(second + "*")
    await _wait_count(page, "connect", "composer", 2)

    for name in ("composer", "message-list", "sidebar-toggle", "live"):
        assert await _count(page, "connect", name) == 2, name
        assert await _count(page, "disconnect", name) == 1, name  # the first page's, removed
    assert await page.evaluate(TWICE) == []
    await ctx.close()


async def test_a_behaviour_in_a_socket_frame_connects_and_disconnects_when_removed(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    async with two_members(browser, base, "framed", bob_init_script=LIFECYCLE_LOG) as room:
        await room.bob.goto(f"{base}/rooms")  # not showing the room: its messages come as notices
        await room.bob.wait_for_selector("html[data-live=open]", state="attached")

        await room.alice.fill("#body", "a message bob hears of")
        await room.alice.keyboard.press("Enter")

        # notifications.js reads the notice and drops it: disconnected though htmx did not remove it
        await _wait_count(room.bob, "connect", "notice", 1)
        await _wait_count(room.bob, "disconnect", "notice", 1)
        await expect(room.bob.locator("#notices .notice")).to_have_count(0)
        assert await room.bob.evaluate(TWICE) == []


async def test_back_and_forth_five_times_leaves_one_set_of_listeners(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    ctx, page = await _logged(browser)
    await sign_up(page, base, unique("pacer"))
    first = await create_room(page, base, unique("here"))
    second = await create_room(page, base, unique("there"))
    await page.goto(first)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url)
            if request.method == "POST" and "/messages" in request.url else None)

    for turn in range(5):
        await page.locator(_room_link(page, second)).click()
        await page.wait_for_url(second + "*")
        # htmx pushes the URL before it settles the page: going back sooner would undo a page
        # whose elements never connected
        await _wait_count(page, "connect", "composer", 2 * turn + 2)
        await page.go_back()
        await page.wait_for_url(first + "*")
        await _wait_count(page, "connect", "composer", 2 * turn + 3)
    await page.locator("#body").fill("sent once")
    await page.locator("#body").press("Enter")

    await expect(page.locator(".message .body")).to_have_text(["sent once"])
    assert len(posts) == 1
    for name in ("composer", "mentions", "message-list", "live"):
        connects = await _count(page, "connect", name)
        assert connects - await _count(page, "disconnect", name) == 1, name
    assert await page.evaluate(TWICE) == []
    await ctx.close()

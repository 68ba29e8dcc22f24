"""axe-core in Chromium on every main page, the room at 360, 390 and 1280 px, with screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, create_room, screenshot, sign_up, unique

# A test tool from the npm registry (package.json devDependencies); never served to users.
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"small-phone": {"width": 360, "height": 740}, "phone": {"width": 390, "height": 844},
         "desktop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_no_page_has_serious_or_critical_accessibility_violations(
        browser: Browser, live_server: LiveServer, scheme: str) -> None:
    base = live_server.url
    # axe is injected as a script, which the page's CSP (script-src 'self') would refuse.
    ctx = await browser.new_context(bypass_csp=True, color_scheme=scheme,
                                    viewport=SIZES["desktop"])
    page = await ctx.new_page()
    pages = {"login": f"{base}/login", "register": f"{base}/register",
             "javascript-help": f"{base}/help/javascript", "not-found": f"{base}/no/such/page"}
    found = {name: await _violations(page, url) for name, url in pages.items()}
    name = unique("ally")
    await sign_up(page, base, name)
    room_url = await create_room(page, base, unique("access"), "A topic")
    await page.fill("#body", "Hello, screen readers")
    await page.keyboard.press("Enter")
    await expect(page.locator(".message")).to_have_count(1)
    pages = {"rooms": f"{base}/rooms", "room": room_url, "profile": f"{base}/profile",
             "dm-index": f"{base}/dm", "dm": f"{base}/dm/{name}"}

    for page_name, url in pages.items():
        found[page_name] = await _violations(page, url)
    for size, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        for page_name in ("rooms", "room"):
            await page.goto(pages[page_name])
            # fonts loaded and two frames painted: the page as a visitor sees it, no guessed delay
            await page.evaluate("() => document.fonts.ready.then(() => new Promise("
                                "r => requestAnimationFrame(() => requestAnimationFrame(r))))")
            await screenshot(page, f"{page_name}-{size}-{scheme}")
        found[f"room-{size}"] = await _violations(page, room_url)  # the header folds on phones

    assert {name: v for name, v in found.items() if v} == {}
    await ctx.close()


async def _violations(page: Page, url: str) -> list[str]:
    """Serious and critical axe-core findings on `url`, as "rule: target" lines."""
    await page.goto(url)
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.filter(v => ["serious", "critical"].includes(v.impact))
          .flatMap(v => v.nodes.map(n => v.id + ": " + n.target.join(" ") + " " + n.failureSummary));
    }""")
    return result

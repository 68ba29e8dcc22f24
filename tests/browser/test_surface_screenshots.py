"""The conversation surface at phone and desktop widths, light and dark, saved to docs/screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import LiveServer, two_members

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 800}}
CONVERSATION = [
    ("alice", "Morning! The **release** is ready :rocket:"),
    ("alice", "Notes are in `docs/release.md`, and the list:\n\n- migrations run\n- ~~old flag~~ removed"),
    ("bob", "> The release is ready\n\nNice. @{alice} can you check this?\n\n```\nmake test\n```"),
    ("alice", "On it, see https://example.com/ci"),
]


async def test_the_surface_renders_formatting_mentions_and_groups_at_every_size(
        browser: Browser, live_server: LiveServer) -> None:
    async with two_members(browser, live_server.url, "launch") as pair:
        names = {"alice": (await pair.alice.locator(".whoami").text_content() or "").strip()}
        alice = pair.alice
        for n, (who, text) in enumerate(CONVERSATION, start=1):
            page = pair.alice if who == "alice" else pair.bob
            await page.fill("#body", text.format(**names))
            await page.keyboard.press("Enter")
            # One at a time, as people take turns: the screenshots show the same order each run.
            await expect(alice.locator(".message")).to_have_count(n)
        await alice.locator(".message").first.locator(".reaction-picker summary").click()
        await alice.locator(".message").first.locator(".pick").first.click()
        await expect(alice.locator(".reaction")).to_have_count(1)

        DOCS.mkdir(parents=True, exist_ok=True)
        for scheme in ("light", "dark"):
            await alice.emulate_media(color_scheme=scheme)
            for size, viewport in SIZES.items():
                await alice.set_viewport_size(viewport)
                await alice.reload()
                await expect(alice.locator(".message .body pre")).to_have_text("make test")
                await expect(alice.locator(".message .mention.mine")).to_have_count(1)
                await alice.locator("#body").fill("@")
                await alice.locator("#body").press_sequentially(names["alice"][:1])
                await expect(alice.get_by_role("listbox")).to_be_visible()
                await alice.screenshot(path=str(DOCS / f"conversation-{size}-{scheme}.png"))
                await alice.locator("#body").press("Escape")
                await alice.locator("#body").fill("")

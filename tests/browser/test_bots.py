"""In Chromium: the administrator makes a bot on the admin page and sees its key once, adds it
to a room, and a mention of the bot there shows its answer live."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from tests.botserver import BotServer
from tests.browser.conftest import create_room, screenshot, sign_up, wait_live
from tests.helpers import WAIT
from tests.server import running_server


@pytest.fixture
def bot_instance(empty_database: str, tmp_path: Path) -> Iterator[str]:
    """A server of its own (its first account is the administrator) that may call bots on
    127.0.0.1 and looks for calls to make every 100 ms."""
    env = {"DATABASE_URL": empty_database, "VAR_DIR": str(tmp_path),
           "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32", "BOT_POLL_SECONDS": "0.1"}
    with running_server(env) as (base, _proc):
        yield base


@pytest_asyncio.fixture
async def bot_server() -> AsyncIterator[BotServer]:
    server = BotServer(replies=[(200, "application/json",
                                 b'{"text": "pong from *echo*"}')])
    await server.start()
    yield server
    await server.stop()


async def test_a_bot_made_on_the_admin_page_answers_a_mention_live(
        browser: Browser, bot_instance: str, bot_server: BotServer) -> None:
    base = bot_instance
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(WAIT * 1000)
    page = await ctx.new_page()
    try:
        await sign_up(page, base, "founder")
        room_url = await create_room(page, base, "general")
        await page.goto(f"{base}/admin#bots")
        await page.fill("#bot-name", "echo")
        await page.fill("#bot-url", bot_server.url)
        await page.get_by_role("button", name="Make the bot").click()

        key = page.locator("input.bot-key-value")
        await expect(key).to_be_visible()
        assert (await key.input_value()).startswith("pbk_")
        await _shots(page, "bots-admin-key", ".bot-key")
        await page.goto(f"{base}/admin")  # shown once: not again
        await expect(page.locator("input.bot-key-value")).to_have_count(0)
        row = page.locator(".bot", has_text="echo")
        await row.get_by_role("combobox").select_option(label="general")
        await row.get_by_role("button", name="Add to room").click()
        await expect(page.locator(".bot .bot-rooms")).to_contain_text("general")
        await _shots(page, "bots-admin-row", ".bot")

        await page.goto(room_url)
        await wait_live(page)
        await page.fill("#body", "@echo ping")
        await page.keyboard.press("Enter")

        answer = page.locator(".message", has_text="pong from echo")
        await expect(answer).to_be_visible()
        await expect(answer.locator("strong")).to_have_text("echo")
        assert len(bot_server.received) == 1
        await _shots(page, "bots-answer", ".message:last-child")
    finally:
        await ctx.close()


async def _shots(page: Page, name: str, subject: str) -> None:
    """Light and dark, at 1280 and 390 px wide, `subject` in view, for people to look at."""
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        for width, height, device in ((1280, 900, "desktop"), (390, 844, "phone")):
            await page.set_viewport_size({"width": width, "height": height})
            await page.locator(subject).last.scroll_into_view_if_needed()
            await screenshot(page, f"{name}-{scheme}-{device}")
    await page.emulate_media(color_scheme="light")
    await page.set_viewport_size({"width": 1280, "height": 900})

"""In Chromium: the administrator uploads a Slack export on the admin page, watches the
progress bar move, then reads the report; the imported room shows the Slack people's names."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, PASSWORD
from tests.helpers import WAIT
from tests.slack_export import sample_export, ts

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _busy_days(days: int, per_day: int) -> dict[str, Any]:
    """Day files enough for the import to take a few seconds (so its progress shows)."""
    return {f"general/{date(2024, 4, 1) + timedelta(days=day)}.json":
            [{"type": "message", "user": ("U01ALICE", "U02BOB", "U04DAVE")[n % 3],
              "ts": ts(86400 * (31 + day) + n), "text": f"Day {day}, message {n}: *status*"}
             for n in range(per_day)] for day in range(days)}


async def test_an_admin_imports_a_slack_export_and_sees_progress_then_the_report(
        browser: Browser, fresh_server: str, tmp_path: Path) -> None:
    base = fresh_server
    export = sample_export(tmp_path / "acme-slack-export.zip", **_busy_days(80, 250))
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(WAIT * 1000)
    page = await ctx.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        await _sign_up_first(page, base)
        await page.goto(f"{base}/admin#import")

        await page.set_input_files("#slack-export", str(export))
        await page.get_by_role("button", name="Import", exact=True).click()
        await page.wait_for_url(f"{base}/admin/slack-imports/*")
        running = page.locator("#import-progress[data-status=running]")
        await expect(running.locator(".import-bar")).not_to_have_attribute("value", "0")
        await expect(running).to_contain_text("messages so far")
        await page.screenshot(path=str(DOCS / "slack-import-progress.png"))

        done = page.locator("#import-progress[data-status=done]")
        await expect(done).to_contain_text("The import is done", timeout=WAIT * 4000)
        await expect(done.locator(".import-summary")).to_contain_text("20,011 imported")
        await expect(done.locator(".import-skipped")).to_contain_text("channel_join")
        await expect(done.locator(".import-skipped")).to_contain_text("direct-message")
        await page.screenshot(path=str(ARTIFACTS / "slack-import-report-desktop.png"),
                              full_page=True)

        await page.goto(f"{base}/admin#rooms")
        room = page.locator(".rooms-list .room").filter(
            has=page.locator(".name", has_text=re.compile(r"^# general$")))
        await page.goto(f"{base}/rooms/{await room.get_attribute('data-room-id')}")
        await expect(page.locator(".message .author").last).to_contain_text("(from Slack)")
        await page.screenshot(path=str(ARTIFACTS / "slack-import-room-desktop.png"))
    finally:
        await ctx.close()


async def test_the_report_reads_well_on_a_phone_in_the_dark(browser: Browser, fresh_server: str,
                                                            tmp_path: Path) -> None:
    base = fresh_server
    export = sample_export(tmp_path / "export.zip")
    ctx = await browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    ctx.set_default_timeout(WAIT * 1000)
    page = await ctx.new_page()
    try:
        await _sign_up_first(page, base)
        await page.goto(f"{base}/admin#import")

        await page.set_input_files("#slack-export", str(export))
        await page.get_by_role("button", name="Import", exact=True).click()

        await expect(page.locator("#import-progress[data-status=done]")).to_contain_text(
            "The import is done")
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390  # nothing sticks out sideways
        await page.screenshot(path=str(ARTIFACTS / "slack-import-report-phone-dark.png"),
                              full_page=True)
    finally:
        await ctx.close()


async def _sign_up_first(page: Page, base: str) -> None:
    """The first account: the administrator (alice, whose address Slack knows too)."""
    await page.goto(f"{base}/register")
    await page.fill("#username", "alice")
    await page.fill("#email", "alice@example.com")
    await page.fill("#password", PASSWORD)
    await page.click("form button[type=submit]")
    await page.wait_for_url(f"{base}/rooms")

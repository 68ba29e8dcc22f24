"""Files in Chromium: the paperclip, the chosen-file chip, a live file card and its download."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    LiveServer,
    create_room,
    sign_up,
    two_members,
    unique,
    wait_live,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 800}}
PDF = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 250 * 1024) + b"\n%%EOF\n"


async def test_a_file_attached_with_the_paperclip_reaches_the_other_member_as_a_download(
        browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    report = tmp_path / "Quarterly report – final.pdf"
    report.write_bytes(PDF)
    async with two_members(browser, live_server.url, "files") as pair:
        alice, bob = pair.alice, pair.bob
        await wait_live(bob)
        paperclip = alice.get_by_label("Attach a file")
        await expect(paperclip).to_have_attribute("type", "file")  # the label names the field
        await expect(alice.locator(".attach-button")).to_be_visible()

        await paperclip.set_input_files(str(report))
        chip = alice.locator("#chosen-file")
        await expect(chip).to_be_visible()
        await expect(chip.locator(".chosen-file-name")).to_have_text(report.name)
        await expect(chip.locator(".chosen-file-size")).to_have_text("1.2 MB")
        await alice.get_by_role("button", name="Remove the attached file").click()
        await expect(chip).to_be_hidden()
        await expect(alice.locator("#image")).to_have_value("")

        await paperclip.set_input_files(str(report))
        await alice.fill("#body", "Here is the report")
        await alice.click("#composer button[type=submit]")

        card = bob.locator(".message .file-card")
        await expect(card.locator(".file-name")).to_have_text(report.name)  # live, no reload
        await expect(card.locator(".file-size")).to_have_text("· 1.2 MB")
        await expect(chip).to_be_hidden()
        await expect(alice.locator("#upload-progress")).to_be_hidden()
        href = await card.locator(".file-name").get_attribute("href")
        assert href and href.startswith("/files/")
        response = await bob.request.get(live_server.url + href)
        assert response.status == 200
        assert response.headers["content-disposition"].startswith("attachment; ")
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["x-content-type-options"] == "nosniff"
        async with bob.expect_download() as downloading:
            await card.locator(".file-name").click()
        download = await downloading.value
        assert download.suggested_filename == report.name
        assert await asyncio.to_thread(Path(await download.path()).read_bytes) == PDF

        # Dropping a file on the composer attaches it too (shown in the screenshots, unsent).
        await alice.goto(pair.room_url)  # without the "room created" note above the room
        await expect(alice.locator(".message .file-card")).to_have_count(1)
        await alice.locator("#body").evaluate(
            "el => { const data = new DataTransfer();"
            " data.items.add(new File(['a,b\\n1,2\\n'], 'numbers.csv', {type: 'text/csv'}));"
            " el.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true,"
            " cancelable: true})); }")
        await expect(chip.locator(".chosen-file-name")).to_have_text("numbers.csv")

        DOCS.mkdir(parents=True, exist_ok=True)
        for size, viewport in SIZES.items():
            await alice.set_viewport_size(viewport)
            await alice.locator("#chosen-file").scroll_into_view_if_needed()
            await expect(alice.locator(".message .file-card")).to_be_in_viewport()
            await alice.screenshot(path=str(DOCS / f"attachment-{size}.png"))


async def test_a_file_posts_with_javascript_off(browser: Browser, live_server: LiveServer,
                                                tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("plain and simple\n")
    ctx = await browser.new_context(java_script_enabled=False)
    page = await ctx.new_page()
    await sign_up(page, live_server.url, unique("nojsfile"))
    room_url = await create_room(page, live_server.url, unique("plainfiles"))

    await expect(page.locator("#image")).to_be_visible()  # the browser's own field shows the name
    await page.get_by_label("Attach a file").set_input_files(str(notes))
    await page.click("#composer button[type=submit]")
    await page.wait_for_url(re.compile(re.escape(room_url) + r"#message-"))  # lands on the post

    await expect(page.locator(".message .file-card .file-name")).to_have_text("notes.txt")
    await expect(page.locator(".message .file-card .file-size")).to_have_text("· 17 bytes")
    await ctx.close()

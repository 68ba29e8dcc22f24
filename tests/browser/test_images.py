"""Images in Chromium: upload with a progress bar, the thumbnail for both people, the full image."""

from __future__ import annotations

import os
import re
from pathlib import Path

from PIL import Image
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, create_room, screenshot, sign_up, unique

THUMB = ".message .attachment img"


async def wait_until_loaded(page: Page, selector: str = THUMB) -> None:
    """Wait until the image is decoded (a function, not an expression: the CSP forbids eval)."""
    await page.wait_for_function(
        "sel => { const img = document.querySelector(sel);"
        " return img !== null && img.complete && img.naturalWidth > 0; }", arg=selector)


def noisy_png(path: Path, size: tuple[int, int] = (1000, 1000)) -> Path:
    """A PNG of random pixels (about 3 MB: it does not compress), so the upload takes a moment."""
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(path, format="PNG")
    return path


async def join(page: Page, base: str, room_name: str) -> None:
    await page.goto(f"{base}/rooms")
    await page.locator(".room-item", has_text=room_name).get_by_role("button", name="Join").click()
    await page.wait_for_url(f"{base}/rooms/*")


async def test_an_image_uploads_with_progress_and_opens_full_size(browser: Browser, live_server: LiveServer,
                                                                 tmp_path: Path) -> None:
    base = live_server.url
    alice_ctx, bob_ctx = await browser.new_context(), await browser.new_context()
    alice, bob = await alice_ctx.new_page(), await bob_ctx.new_page()
    room_name = unique("photos")
    await sign_up(alice, base, unique("alice"))
    await sign_up(bob, base, unique("bob"))
    await create_room(alice, base, room_name)
    await join(bob, base, room_name)
    # Slow the upload to about 1.5 MB/s so the progress bar has time to show.
    cdp = await alice_ctx.new_cdp_session(alice)
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 1_500_000})

    await alice.set_input_files("#image", str(noisy_png(tmp_path / "noise.png")))
    await alice.fill("#body", "static on the line")
    await alice.click("#composer button[type=submit]")

    await expect(alice.locator("#upload-progress")).to_be_visible()
    await alice.wait_for_function("() => document.getElementById('upload-progress').value > 0")
    await screenshot(alice, "image-upload-progress")
    await expect(alice.locator(".message .attachment img")).to_have_count(1)
    await expect(alice.locator("#upload-progress")).to_be_hidden()
    await wait_until_loaded(alice)
    await expect(alice.locator("#image")).to_have_value("")
    # The other person's tab: a reload until the live-update work pushes it over the socket.
    await bob.reload()
    await wait_until_loaded(bob)
    await expect(bob.locator(".message .body")).to_have_text(["static on the line"])
    thumb = bob.locator(".message .attachment img")
    assert await thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [640, 640]
    box = await thumb.bounding_box()
    assert box is not None and (box["width"], box["height"]) == (320, 320)
    await screenshot(bob, "image-in-room")
    async with bob_ctx.expect_page() as opened:
        await bob.click(".message .attachment")
    full = await opened.value
    await full.wait_for_load_state()
    assert full.url.startswith(f"{base}/media/")
    assert await full.evaluate("[document.images[0].naturalWidth, document.contentType]") == \
        [1000, "image/png"]
    await alice_ctx.close()
    await bob_ctx.close()


async def test_a_file_over_the_limit_is_refused_before_it_is_sent(browser: Browser,
                                                                  live_server: LiveServer,
                                                                  tmp_path: Path) -> None:
    base = live_server.url
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await sign_up(page, base, unique("big"))
    await create_room(page, base, unique("bigfiles"))
    big = tmp_path / "huge.png"
    big.write_bytes(os.urandom(10 * 1024 * 1024 + 1))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.method))

    await page.set_input_files("#image", str(big))
    await page.click("#composer button[type=submit]")

    await expect(page.locator("#composer-error")).to_have_text(
        "That file is too large: the limit is 10 MB.")
    assert "POST" not in requests
    await ctx.close()


async def test_an_image_posts_with_javascript_off(browser: Browser, live_server: LiveServer,
                                                  tmp_path: Path) -> None:
    base = live_server.url
    ctx = await browser.new_context(java_script_enabled=False)
    page = await ctx.new_page()
    await sign_up(page, base, unique("nojs"))
    room_url = await create_room(page, base, unique("plainphotos"))
    photo = tmp_path / "small.jpg"
    Image.new("RGB", (300, 200), "orange").save(photo, format="JPEG")

    await page.set_input_files("#image", str(photo))
    await page.click("#composer button[type=submit]")
    await page.wait_for_url(re.compile(re.escape(room_url) + r"#message-"))  # lands on the post

    await wait_until_loaded(page)
    assert await page.locator(".message .attachment img").evaluate("img => img.naturalWidth") == 300
    await ctx.close()


async def test_an_oversized_upload_without_javascript_gets_a_page_saying_the_limit(
        browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    base = live_server.url
    ctx = await browser.new_context(java_script_enabled=False)
    page = await ctx.new_page()
    await sign_up(page, base, unique("nojsbig"))
    await create_room(page, base, unique("toobig"))
    big = tmp_path / "huge.jpg"
    big.write_bytes(os.urandom(11 * 1024 * 1024))

    await page.set_input_files("#image", str(big))
    await page.click("#composer button[type=submit]")

    await expect(page.locator(".error-page p").first).to_have_text(
        "That file is too large: the limit is 10 MB.")
    await ctx.close()


async def test_a_profile_photo_shows_on_the_profile_and_in_the_top_bar(browser: Browser,
                                                                       live_server: LiveServer,
                                                                       tmp_path: Path) -> None:
    base = live_server.url
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await sign_up(page, base, unique("face"))
    photo = tmp_path / "me.png"
    Image.new("RGB", (600, 300), "darkorange").save(photo, format="PNG")

    await page.click(".profile-link")
    await page.set_input_files("#avatar", str(photo))
    await page.click(".avatar-form button[type=submit]")

    await expect(page.locator(".flash-success")).to_have_text("Your profile photo is updated.")
    await wait_until_loaded(page, ".profile-head img.avatar")
    await wait_until_loaded(page, ".topnav img.avatar")
    await screenshot(page, "profile-photo")
    await ctx.close()

"""Verifying a contact by QR code in Chromium: bob's camera (Chromium's fake capture device,
fed a Y4M video made here from a QR image) reads the code alice's screen shows. The right code
marks alice verified on bob's screen; a wrong one is a red warning and marks nothing."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, join_room, screenshot, sign_up, unique
from tests.browser.test_private_messages import (
    has_a_key,
    make_team,
    open_conversation,
    start_conversation,
)

FRAME = (640, 480)
WRONG_CODE = "PARLEY-VERIFY:1:" + "0" * 64


def write_y4m(path: Path, picture: Image.Image, frames: int = 4) -> None:
    """A Y4M video (4:2:0) of `picture`, scaled and centred on white: what the camera sees.
    Written whole and then renamed, so a camera opening it never reads half a file."""
    frame = Image.new("RGB", FRAME, "white")
    side = 400
    qr = picture.convert("RGB").resize((side, side), Image.Resampling.NEAREST)
    frame.paste(qr, ((FRAME[0] - side) // 2, (FRAME[1] - side) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (FRAME[0] // 2, FRAME[1] // 2)
    one = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{FRAME[0]} H{FRAME[1]} F10:1 Ip A1:1 C420jpeg\n".encode()
    partial = path.with_suffix(".part")
    partial.write_bytes(header + one * frames)
    os.replace(partial, path)


def picture_of(data_url: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))


@dataclass
class Pair:
    alice: Page
    bob: Page  # in the browser whose camera sees `video`
    names: dict[str, str]
    video: Path


@asynccontextmanager
async def alice_and_bob_with_a_camera(browser: Browser, live_server: LiveServer,
                                      tmp_path: Path) -> AsyncIterator[Pair]:
    """alice in the shared browser; bob in a Chromium of his own whose camera plays `video`
    (opened anew by each getUserMedia call, so the test can change what it shows)."""
    video = tmp_path / "camera.y4m"
    write_y4m(video, Image.new("RGB", (10, 10), "white"))
    base = live_server.url
    async with async_playwright() as playwright:
        camera_browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream",
                  "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
        try:
            team = await make_team(browser, base, "alice")
            alice = team.pages["alice"]
            bob_context = await camera_browser.new_context(permissions=["camera"])
            bob = await bob_context.new_page()
            bob_name = unique("bob")
            await sign_up(bob, base, bob_name)
            await join_room(bob, base, team.room_url)
            for page in (alice, bob):
                await has_a_key(page)
            names = {"alice": team.names["alice"], "bob": bob_name}
            await start_conversation(alice, base, bob_name)
            await open_conversation(bob, base, alice.url)
            yield Pair(alice, bob, names, video)
            await team.close()
        finally:
            await camera_browser.close()


async def open_qr_dialog(page: Page, name: str) -> Page:
    await page.locator(".safety summary").click()
    entry = page.locator(".safety-numbers li", has_text=name)
    await entry.get_by_role("button", name="Verify by QR code").click()
    dialog = page.locator("dialog.qr-dialog")
    await expect(dialog.locator("img.qr-image")).to_be_visible()
    return dialog


async def alices_code(pair: Pair) -> Image.Image:
    """The code alice's screen shows for bob."""
    dialog = await open_qr_dialog(pair.alice, pair.names["bob"])
    return picture_of(await dialog.locator("img.qr-image").get_attribute("src"))


async def test_scanning_the_right_code_marks_the_contact_verified(
        browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    async with alice_and_bob_with_a_camera(browser, live_server, tmp_path) as pair:
        write_y4m(pair.video, await alices_code(pair))
        await screenshot(pair.alice, "qr-verify-code")
        bob, alice_name = pair.bob, pair.names["alice"]
        entry = bob.locator(".safety-numbers li", has_text=alice_name)

        dialog = await open_qr_dialog(bob, alice_name)
        await dialog.get_by_role("button", name="Scan their code").click()

        await expect(dialog.locator(".qr-result.ok")).to_have_text(
            f"✓ The codes match: you have verified {alice_name}.")
        await screenshot(bob, "qr-verify-match")
        await dialog.get_by_role("button", name="Close").click()
        await expect(entry.locator(".trust.verified")).to_have_text("✓ verified")
        await expect(bob.locator("h1 .verified-mark")).to_have_text("✓ verified")
        await bob.reload()  # kept in this browser
        await expect(bob.locator("h1 .verified-mark")).to_have_text("✓ verified")


async def test_scanning_a_wrong_code_warns_and_marks_nothing(
        browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    async with alice_and_bob_with_a_camera(browser, live_server, tmp_path) as pair:
        wrong = await pair.alice.evaluate("""async (code) => {
          const { default: qrcode } = await import("/static/vendor/qrcode-generator.js");
          const qr = qrcode(0, "M");
          qr.addData(code);
          qr.make();
          return qr.createDataURL(6, 4);
        }""", WRONG_CODE)
        write_y4m(pair.video, picture_of(wrong))
        bob, alice_name = pair.bob, pair.names["alice"]
        entry = bob.locator(".safety-numbers li", has_text=alice_name)

        dialog = await open_qr_dialog(bob, alice_name)
        await dialog.get_by_role("button", name="Scan their code").click()

        await expect(dialog.locator(".qr-result.danger")).to_contain_text(
            "These codes do not match.")
        for scheme, width in (("light", 1280), ("dark", 390)):
            await bob.emulate_media(color_scheme=scheme)
            await bob.set_viewport_size({"width": width, "height": 800})
            await screenshot(bob, f"qr-verify-mismatch-{scheme}-{width}")
        await dialog.get_by_role("button", name="Close").click()
        await expect(entry.get_by_role("button", name="Mark as verified")).to_be_visible()
        await expect(entry.locator(".trust.verified")).to_have_count(0)
        await expect(bob.locator("h1 .verified-mark")).to_have_count(0)

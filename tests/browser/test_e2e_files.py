"""Encrypted files in private conversations, in Chromium against a real server and database:
a file and an image sent in a group of three open for all three, and their plaintext bytes are
nowhere on the server's side (media folder, `pg_dump`, the server's log, any request)."""

from __future__ import annotations

import io
import secrets
import subprocess
from pathlib import Path

from PIL import Image, PngImagePlugin
from playwright.async_api import Browser, Page, expect

from app.db import asyncpg_dsn
from app.embedded_pg import bin_dir
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.test_private_messages import (
    has_a_key,
    make_team,
    open_conversation,
    start_conversation,
)
from tests.server import running_server

FILE_FAILED = "This file could not be opened: it is missing or was altered."
PG_DUMP = bin_dir() / "pg_dump"  # the embedded test server's own major version


def marked_png(marker: bytes, size: tuple[int, int] = (640, 400)) -> bytes:
    """A PNG whose bytes hold `marker` (a text chunk) and whose picture is a gradient."""
    image = Image.new("RGB", size)
    image.putdata([(x % 256, y % 256, (x + y) % 256) for y in range(size[1]) for x in range(size[0])])
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", marker.decode())
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def record_traffic(page: Page, sent: list[bytes]) -> None:
    """Keep every request body and socket frame this page sends."""
    page.on("request", lambda request: sent.append(request.post_data_buffer or b""))
    page.on("websocket", lambda ws: ws.on(
        "framesent", lambda frame: sent.append(frame if isinstance(frame, bytes) else frame.encode())))


async def attach_and_send(page: Page, name: str, mime: str, data: bytes, text: str) -> None:
    await page.set_input_files("#image", files=[{"name": name, "mimeType": mime, "buffer": data}])
    await expect(page.locator("#chosen-file .chosen-file-name")).to_have_text(name)
    await page.fill("#body", text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".message.mine .body").last).to_have_text(text, timeout=15_000)


async def downloaded(page: Page, name: str) -> tuple[str, bytes]:
    """Click the file's name; the name the browser saves it under and the bytes it saves."""
    async with page.expect_download() as info:
        await page.locator(".sealed-file .file-name", has_text=name).click()
    download = await info.value
    return download.suggested_filename, read_bytes(await download.path())


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def alter_every_file(root: Path) -> None:
    """Flip one bit of each stored file, as a server tampering with them would."""
    for path, data in files_under(root).items():
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))


def pg_dump(database_url: str) -> bytes:
    dump = subprocess.run([str(PG_DUMP), "--no-owner", asyncpg_dsn(database_url)], check=True,
                          capture_output=True, timeout=120).stdout
    assert b"CREATE TABLE public.attachments" in dump  # a real dump, with the tables
    return dump


def files_under(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


async def test_a_file_and_an_image_open_for_all_three_and_their_bytes_never_reach_the_server(
        browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    var_dir, log = tmp_path / "var", tmp_path / "server.log"
    env = {"DATABASE_URL": live_server.database_url, "VAR_DIR": str(var_dir),
           "ACCESS_LOG": "on", "LOG_LEVEL": "debug"}
    marker = f"PLAINTEXT-{secrets.token_hex(8)}".encode()
    doc_name, doc = f"report-{marker.decode()}.txt", b"quarterly numbers " + marker * 200
    img_name, img = f"photo-{marker.decode()}.png", marked_png(marker)
    sent: list[bytes] = []
    with running_server(env, output=log) as (base, _proc):
        team = await make_team(browser, base, "alice", "bob", "carol")
        alice, bob, carol = (team.pages[p] for p in ("alice", "bob", "carol"))
        for page in (alice, bob, carol):
            record_traffic(page, sent)
            await has_a_key(page)
        await start_conversation(alice, base, team.names["bob"], team.names["carol"])
        url = alice.url
        await open_conversation(bob, base, url)
        await open_conversation(carol, base, url)

        await attach_and_send(alice, doc_name, "text/plain", doc, "the report")
        await attach_and_send(bob, img_name, "image/png", img, "a photo")

        for page in (alice, bob, carol):
            await expect(page.locator(".message .body")).to_have_text(["the report", "a photo"],
                                                                      timeout=15_000)
            await expect(page.locator(".sealed-image[data-ready] img")).to_be_visible()
            assert await page.locator(".sealed-image img").evaluate(
                "(img) => img.naturalWidth > 0 && img.naturalWidth <= 320") is True
            assert await downloaded(page, doc_name) == (doc_name, doc)
        await carol.reload()
        await expect(carol.locator(".sealed-image[data-ready] img")).to_be_visible()
        assert await downloaded(carol, doc_name) == (doc_name, doc)
        await carol.locator(".sealed-image").click()
        viewer = carol.locator("dialog.image-viewer")
        await expect(viewer.locator("img")).to_be_visible()
        assert await viewer.locator("img").evaluate("(img) => [img.naturalWidth, img.naturalHeight]") \
            == [640, 400]
        await screenshot(carol, "e2e-image-viewer")
        async with carol.expect_download() as info:
            await viewer.get_by_role("button", name="Download").click()
        full = await info.value
        assert full.suggested_filename == img_name
        assert read_bytes(await full.path()) == img
        await viewer.get_by_role("button", name="Close").click()
        await shoot(alice)
        # The server (or whoever holds its disk) alters the stored blobs: they fail to open.
        alter_every_file(var_dir / "media")
        await carol.reload()
        await expect(carol.locator(".sealed-file-failed")).to_have_text(FILE_FAILED)
        await expect(carol.locator(".sealed-image")).to_have_count(0)
        await carol.locator(".sealed-file .file-name", has_text=doc_name).click()
        await expect(carol.locator(".sealed-file-failed")).to_have_count(2)
        await team.close()

    stored = files_under(var_dir)
    assert len([p for p in stored if "media" in p.parts]) == 3  # the file, the image, its thumbnail
    assert [p for p, data in stored.items() if marker in data] == []
    assert marker not in pg_dump(live_server.database_url)
    assert marker not in log.read_bytes()
    assert b"POST /rooms/" in log.read_bytes()  # the log does record requests
    assert sent and [body for body in sent if marker in body] == []


async def shoot(page: Page) -> None:
    """The conversation with its file and image at 1280 and 390 px, light and dark."""
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        for width, height, label in ((1280, 800, "desktop"), (390, 844, "phone")):
            await page.set_viewport_size({"width": width, "height": height})
            await page.reload()
            await expect(page.locator(".sealed-image[data-ready] img")).to_be_visible()
            await page.locator(".sealed-image").scroll_into_view_if_needed()
            await screenshot(page, f"e2e-files-{label}-{scheme}")

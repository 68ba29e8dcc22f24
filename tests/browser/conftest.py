"""Fixtures for browser tests: a real Parley server process and a headless Chromium."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.database import create_database, drop_database, migrate_in_child
from tests.helpers import WAIT
from tests.server import running_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PASSWORD = "correct horse battery"
# Every wait on the page (expect(), locators, navigation) may take up to WAIT on a loaded
# machine: a safety net before failing, never a measure.
expect.set_options(timeout=WAIT * 1000)


@dataclass
class LiveServer:
    """A running Parley: its base URL and the database it serves."""

    url: str
    database_url: str


@pytest_asyncio.fixture(scope="session")
async def browser_database(database_server: str) -> AsyncIterator[str]:
    url = await create_database(database_server)
    await migrate_in_child(url)
    yield url
    await drop_database(database_server, url)


@pytest.fixture(scope="session")
def live_server(browser_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"DATABASE_URL": browser_database, "VAR_DIR": str(tmp_path_factory.mktemp("live-var")),
           # Push endpoints the pages subscribe resolve without DNS, to loopback only.
           "OUTBOUND_HOSTS": "push.example.com=127.0.0.1", "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1"}
    with running_server(env) as (base, _proc):
        yield LiveServer(base, browser_database)


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport={"width": 1200, "height": 800})
    ctx.set_default_timeout(WAIT * 1000)
    ctx.set_default_navigation_timeout(WAIT * 1000)
    yield ctx
    await ctx.close()


def unique(name: str) -> str:
    """A username no other test has used on the shared live server."""
    return f"{name}{secrets.token_hex(3)}"


async def sign_up(page: Page, base: str, username: str) -> None:
    """Sign up through the real form, as a person would."""
    await page.goto(f"{base}/register")
    await page.fill("#username", username)
    await page.fill("#email", f"{username}@example.com")
    await page.fill("#password", PASSWORD)
    await page.click("form button[type=submit]")
    await page.wait_for_url(f"{base}/rooms")


async def create_room(page: Page, base: str, name: str, topic: str = "") -> str:
    """Create a room from the rooms page; return the room page URL."""
    await page.goto(f"{base}/rooms")
    await page.fill("#name", name)
    await page.fill("#topic", topic)
    await page.click("text=Create room")
    await page.wait_for_url(f"{base}/rooms/*")
    return page.url


async def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot under tests/artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


async def wait_live(page: Page) -> None:
    """Wait until the page's WebSocket is open (live.js marks <html data-live="open">)."""
    await page.wait_for_selector("html[data-live=open]", state="attached")


async def log_in(page: Page, base: str, username: str) -> None:
    """Log in through the real form."""
    await page.goto(f"{base}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("form button[type=submit]")
    await page.wait_for_url(f"{base}/rooms")


async def join_room(page: Page, base: str, room_url: str) -> None:
    """Join a public room through its page's Join button."""
    await page.goto(room_url)
    await page.get_by_role("button", name="Join room").click()
    await page.locator("#composer").wait_for()


@dataclass
class TwoMembers:
    """alice made a public room and bob joined it, each in a browser context of their own."""

    alice: Page
    bob: Page
    room_name: str
    room_url: str


@asynccontextmanager
async def two_members(browser: Browser, base: str, room: str,
                      bob_init_script: str | None = None) -> AsyncIterator[TwoMembers]:
    """Sign alice and bob up, have alice create a room and bob join it from the rooms page."""
    contexts = [await browser.new_context(), await browser.new_context()]
    if bob_init_script:
        await contexts[1].add_init_script(bob_init_script)
    alice, bob = [await ctx.new_page() for ctx in contexts]
    try:
        room_name = unique(room)
        await sign_up(alice, base, unique("alice"))
        await sign_up(bob, base, unique("bob"))
        room_url = await create_room(alice, base, room_name)
        await bob.goto(f"{base}/rooms")
        await bob.locator(".room-item", has_text=room_name).get_by_role("button", name="Join").click()
        await bob.wait_for_url(room_url)
        yield TwoMembers(alice, bob, room_name, room_url)
    finally:
        for ctx in contexts:
            await ctx.close()


async def open_room_details(page: Page) -> None:
    """On a phone the room's members and settings open over it from the header's member count:
    open them (nothing to do on a wide screen, or without JavaScript, where they are on the page)."""
    toggle = page.locator(".room-header .room-member-count")
    if await page.evaluate("() => matchMedia('(max-width: 720px)').matches "
                           "&& document.documentElement.classList.contains('js')"):
        await toggle.click()
        await page.locator(".room-aside").wait_for(state="visible")


async def set_involvement(page: Page, room_url: str, value: str) -> None:
    """Choose how much of a room reaches this person, from the room header's menu (the choice
    is sent as soon as it is made; invisible leads to the rooms page)."""
    await page.goto(room_url)
    await page.locator(".room-menu > summary").click()
    await page.locator(f".involvement-form input[value='{value}']").check()
    if value == "invisible":
        await page.wait_for_url("**/rooms")
    else:
        await page.locator(f".involvement-form input[value='{value}'][checked]").wait_for(
            state="attached")

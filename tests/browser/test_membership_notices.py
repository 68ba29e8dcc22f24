"""A member added to a private conversation is announced in it ("carol added dave"), live and
after a reload; the browsers seal for them only once they have shown that notice, and the
newcomer cannot read what came before."""

from __future__ import annotations

import asyncpg
from playwright.async_api import Browser, Page, expect

from app.db import asyncpg_dsn
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.test_private_messages import (
    has_a_key,
    make_team,
    open_conversation,
    send,
    start_conversation,
)

NOT_FOR_YOU = "Not available to you: sent before you joined this conversation."


async def add_member(page: Page, username: str) -> None:
    await page.fill("#add-username", username)
    await page.get_by_role("button", name="Add", exact=True).click()
    await expect(page.locator(".flashes")).to_contain_text("was added")


def notice_of(page: Page, by: str, added: str) -> object:
    return expect(page.locator(".member-notice")).to_contain_text(f"{by} added {added}")


async def test_carol_adds_dave_everyone_sees_it_and_dave_reads_only_what_comes_next(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob", "carol", "dave")
    alice, bob, carol, dave = (team.pages[p] for p in ("alice", "bob", "carol", "dave"))
    names = team.names
    for page in team.pages.values():
        await has_a_key(page)
    await start_conversation(alice, base, names["bob"], names["carol"])
    url = alice.url
    await open_conversation(bob, base, url)
    await open_conversation(carol, base, url)
    await send(alice, "before dave")

    await add_member(carol, names["dave"])

    for page in (alice, bob, carol):
        await notice_of(page, names["carol"], names["dave"])
    await bob.reload()
    await notice_of(bob, names["carol"], names["dave"])
    await send(alice, "welcome dave")
    await open_conversation(dave, base, url)
    await notice_of(dave, names["carol"], names["dave"])
    await expect(dave.locator(".message .body")).to_have_text([NOT_FOR_YOU, "welcome dave"],
                                                              timeout=15_000)
    await expect(bob.locator(".message .body")).to_have_text(["before dave", "welcome dave"],
                                                             timeout=15_000)
    await send(dave, "hello all")
    await expect(carol.locator(".message .body")).to_have_text(
        ["before dave", "welcome dave", "hello all"], timeout=15_000)
    for scheme in ("light", "dark"):
        await bob.emulate_media(color_scheme=scheme)
        for width, label in ((1280, "desktop"), (390, "phone")):
            await bob.set_viewport_size({"width": width, "height": 800})
            await bob.locator(".member-notice").scroll_into_view_if_needed()
            await screenshot(bob, f"member-notice-{label}-{scheme}")
    await team.close()


async def test_a_member_the_server_adds_without_a_notice_gets_nothing_sealed(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob", "mallory")
    alice, bob = team.pages["alice"], team.pages["bob"]
    names = team.names
    for page in team.pages.values():
        await has_a_key(page)
    await start_conversation(alice, base, names["bob"])
    url = alice.url
    await send(alice, "just us")
    await alice.goto(f"{base}/rooms")  # alice's browser knows the conversation's two members

    # A lying server: mallory becomes a member and her notice is taken out of the timeline.
    await open_conversation(bob, base, url)
    await bob.fill("#add-username", names["mallory"])
    await bob.get_by_role("button", name="Add", exact=True).click()
    await expect(bob.locator(".flashes")).to_contain_text("was added")
    room_id = int(url.rstrip("/").rsplit("/", 1)[1])
    await hide_notices(live_server, room_id)
    await open_conversation(alice, base, url)
    await expect(alice.locator(".member-notice")).to_have_count(0)
    await alice.fill("#body", "for bob only")
    await alice.keyboard.press("Enter")

    warning = alice.locator("[data-state=unannounced]")
    await expect(warning).to_be_visible()
    await expect(warning).to_contain_text(f"{names['mallory']} is in this conversation, but "
                                          "this browser has not seen them added")
    await expect(alice.locator("#body")).to_have_value("for bob only")
    assert await sealed_messages(live_server, room_id) == 1  # only "just us"
    await screenshot(alice, "member-unannounced")
    await team.close()


async def hide_notices(live_server: LiveServer, room_id: int) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(live_server.database_url))
    try:
        await conn.execute("DELETE FROM messages WHERE room_id = $1 AND envelope->>'v' = 'notice'",
                           room_id)
    finally:
        await conn.close()


async def sealed_messages(live_server: LiveServer, room_id: int) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(live_server.database_url))
    try:
        return await conn.fetchval("SELECT count(*) FROM messages WHERE room_id = $1 AND "
                                   "envelope->>'v' = '2'", room_id)
    finally:
        await conn.close()

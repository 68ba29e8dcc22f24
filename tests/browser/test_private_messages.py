"""Private conversations in Chromium: keys made on first use, groups, ciphertext only stored."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import asyncpg
from playwright.async_api import Browser, BrowserContext, Page, expect

from app.db import asyncpg_dsn
from tests.browser.conftest import (
    LiveServer,
    create_room,
    join_room,
    log_in,
    screenshot,
    sign_up,
    unique,
    wait_live,
)

PASSPHRASE = "a long enough passphrase"
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


@dataclass
class Team:
    """People who share a public room, each in a browser context of their own."""

    pages: dict[str, Page]
    names: dict[str, str]
    room_url: str
    contexts: list[BrowserContext]

    async def close(self) -> None:
        for ctx in self.contexts:
            await ctx.close()


async def make_team(browser: Browser, base: str, *people: str,
                    without_js: tuple[str, ...] = ()) -> Team:
    """Sign everyone up (those in `without_js` with JavaScript off, so they have no key yet)
    and have them join the first person's public room."""
    contexts, pages, names = [], {}, {}
    for person in people:
        ctx = await browser.new_context(java_script_enabled=person not in without_js)
        contexts.append(ctx)
        pages[person], names[person] = await ctx.new_page(), unique(person)
        await sign_up(pages[person], base, names[person])
    room_url = await create_room(pages[people[0]], base, unique("team"))
    for person in people[1:]:
        if person in without_js:
            await pages[person].goto(room_url)
            await pages[person].get_by_role("button", name="Join room").click()
            await pages[person].wait_for_url(room_url)
        else:
            await join_room(pages[person], base, room_url)
    return Team(pages, names, room_url, contexts)


async def has_a_key(page: Page) -> None:
    """The browser made its key on its own: the banner is set to ask to protect it (it shows
    only where private messages are read or written)."""
    await expect(page.locator("#e2e-banner form[data-state=protect]:not([hidden])")) \
        .to_have_count(1, timeout=15_000)


async def start_conversation(page: Page, base: str, *names: str) -> None:
    await page.goto(f"{base}/dm")
    for name in names:
        await page.locator(".people-picker").get_by_label(name).check()
    await page.get_by_role("button", name="Start conversation").click()
    await page.wait_for_url(f"{base}/rooms/*")
    await wait_live(page)


async def open_conversation(page: Page, base: str, url: str) -> None:
    await page.goto(url)
    await expect(page.locator(".room.direct")).to_be_visible()
    await wait_live(page)


async def send(page: Page, text: str) -> None:
    await page.fill("#body", text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".message.mine .body").last).to_have_text(text, timeout=15_000)


async def texts(page: Page) -> list[str]:
    return await page.locator(".message .body").all_inner_texts()


async def rows_containing(database_url: str, needle: str) -> list[str]:
    """Every table.column with a text-like type whose value contains `needle`."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type = ANY($1::text[])", list(TEXT_TYPES))
        found = []
        for col in columns:
            query = (f'SELECT count(*) FROM "{col["table_name"]}" '
                     f'WHERE strpos("{col["column_name"]}"::text, $1) > 0')
            if await conn.fetchval(query, needle):
                found.append(f"{col['table_name']}.{col['column_name']}")
        return found
    finally:
        await conn.close()


async def test_three_people_talk_in_a_group_and_the_server_keeps_only_ciphertext(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob", "carol")
    alice, bob, carol = (team.pages[p] for p in ("alice", "bob", "carol"))
    for page in (alice, bob, carol):
        await has_a_key(page)
    secrets_sent = [f"{who} says {secrets.token_hex(6)}" for who in ("alice", "bob", "carol")]

    await start_conversation(alice, base, team.names["bob"], team.names["carol"])
    url = alice.url
    await open_conversation(bob, base, url)
    await open_conversation(carol, base, url)
    for page, text in zip((alice, bob, carol), secrets_sent, strict=True):
        await send(page, text)

    for page in (alice, bob, carol):
        await expect(page.locator(".message .body")).to_have_text(secrets_sent, timeout=15_000)
    await carol.reload()
    await expect(carol.locator(".message .body")).to_have_text(secrets_sent, timeout=15_000)
    await expect(alice.locator(".safety-numbers li")).to_have_count(2)
    for text in secrets_sent:
        assert await rows_containing(live_server.database_url, text) == []
    assert await rows_containing(live_server.database_url, "says") == []
    await shoot_sizes(alice, "direct-room")
    await team.close()


async def shoot_sizes(page: Page, name: str) -> None:
    """Screenshots at 1280 and 390 px wide, and the phone's sidebar opened, for people to look at."""
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.reload()
    await expect(page.locator(".message .body").first).not_to_have_text("Encrypted message")
    await screenshot(page, f"{name}-desktop")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    await expect(page.locator(".message .body").first).not_to_have_text("Encrypted message")
    await screenshot(page, f"{name}-phone")
    await page.get_by_role("button", name="Rooms").click()
    await expect(page.locator("#sidebar-direct")).to_be_visible()
    await screenshot(page, f"{name}-phone-sidebar")


async def test_a_first_message_to_someone_who_signed_in_once_works_at_once(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice, bob = team.pages["alice"], team.pages["bob"]
    await has_a_key(bob)
    await bob.context.clear_cookies()  # bob signed in once, and is gone

    await alice.goto(f"{base}/dm/{team.names['bob']}")
    await alice.get_by_role("button", name="Start the conversation").click()
    await alice.wait_for_url(f"{base}/rooms/*")
    await send(alice, "welcome, bob")

    await log_in(bob, base, team.names["bob"])
    await open_conversation(bob, base, alice.url)
    await expect(bob.locator(".message .body")).to_have_text(["welcome, bob"], timeout=15_000)
    await team.close()


async def test_someone_with_no_key_yet_is_named_and_the_sender_hears_when_it_appears(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "dave", without_js=("dave",))
    alice = team.pages["alice"]
    await has_a_key(alice)

    await alice.goto(f"{base}/dm/{team.names['dave']}")
    await expect(alice.locator(".start-conversation .notice")).to_contain_text(
        "has not used Parley with JavaScript yet")
    await alice.get_by_role("button", name="Start the conversation").click()
    await alice.wait_for_url(f"{base}/rooms/*")
    await wait_live(alice)
    missing = alice.locator("[data-state=missing-keys]")
    await expect(missing).to_contain_text(f"{team.names['dave']} has not used Parley with JavaScript")
    await alice.fill("#body", "are you there?")
    await alice.keyboard.press("Enter")
    await expect(alice.locator(".message")).to_have_count(0)
    await expect(alice.locator("#body")).to_have_value("are you there?")
    ctx = await browser.new_context()
    dave = await ctx.new_page()
    await log_in(dave, base, team.names["dave"])  # with JavaScript: his browser makes a key
    await has_a_key(dave)

    await expect(alice.locator(".key-notice")).to_have_text(
        f"{team.names['dave']} now has a key: you can write to them.", timeout=15_000)
    await expect(missing).to_be_hidden()
    await alice.keyboard.press("Enter")
    await expect(alice.locator(".message.mine .body")).to_have_text(["are you there?"],
                                                                     timeout=15_000)
    await open_conversation(dave, base, alice.url)
    await expect(dave.locator(".message .body")).to_have_text(["are you there?"], timeout=15_000)
    await ctx.close()
    await team.close()


async def test_a_private_message_shows_as_a_badge_and_in_the_title_from_another_room(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice, bob = team.pages["alice"], team.pages["bob"]
    await has_a_key(alice)
    await alice.goto(team.room_url)
    await wait_live(alice)

    await start_conversation(bob, base, team.names["alice"])
    await send(bob, "psst")

    entry = alice.locator("#sidebar-direct a", has_text=team.names["bob"])
    await expect(entry.locator(".unread")).to_have_text("1", timeout=15_000)
    await expect(alice).to_have_title(re.compile(r"^\(1\) # "))
    await screenshot(alice, "direct-badge")
    await entry.click()
    await expect(alice.locator(".message .body")).to_have_text(["psst"], timeout=15_000)
    await expect(alice.locator("#sidebar-direct .unread")).to_have_text("")
    await team.close()


async def test_a_key_change_in_a_group_warns_before_the_next_send(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob", "carol")
    alice = team.pages["alice"]
    for page in team.pages.values():
        await has_a_key(page)
    await start_conversation(alice, base, team.names["bob"], team.names["carol"])
    await send(alice, "before the change")
    ctx = await browser.new_context()
    fresh = await ctx.new_page()
    await log_in(fresh, base, team.names["carol"])  # a new browser without carol's key
    await fresh.goto(f"{base}/profile")  # the key prompt shows where keys are managed
    await fresh.get_by_role("button", name="Make a new key").click()
    await has_a_key(fresh)

    await alice.fill("#body", "after the change")
    await alice.keyboard.press("Enter")

    warning = alice.locator("[data-state=key-changed]")
    await expect(warning).to_be_visible(timeout=15_000)
    await expect(warning).to_contain_text(
        f"{team.names['carol']}'s key changed: verify before sending")
    await expect(alice.locator(".message .body")).to_have_text(["before the change"])
    await expect(alice.locator("#body")).to_have_value("after the change")
    await screenshot(alice, "direct-key-changed")
    await warning.get_by_role("button", name="I have compared the safety numbers").click()
    await alice.keyboard.press("Enter")
    await expect(alice.locator(".message .body")).to_have_text(
        ["before the change", "after the change"], timeout=15_000)
    await open_conversation(fresh, base, alice.url)
    await expect(fresh.locator(".message .body")).to_have_text(
        ["cannot decrypt this message", "after the change"], timeout=15_000)
    await ctx.close()
    await team.close()


async def test_a_member_added_later_is_told_earlier_messages_are_not_available(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob", "carol")
    alice, bob, carol = (team.pages[p] for p in ("alice", "bob", "carol"))
    for page in team.pages.values():
        await has_a_key(page)
    await start_conversation(alice, base, team.names["bob"])
    await send(alice, "just between us two")

    await open_conversation(bob, base, alice.url)
    await bob.fill("#add-username", team.names["carol"])
    await bob.get_by_role("button", name="Add", exact=True).click()
    await expect(bob.locator(".flashes")).to_contain_text("was added")
    # alice's browser seals for carol once it has shown that she was added
    await expect(alice.locator(".member-notice")).to_contain_text(f"added {team.names['carol']}")
    await send(alice, "hello carol")
    await open_conversation(carol, base, alice.url)

    await expect(carol.locator(".earlier-hidden")).to_contain_text(
        "Earlier messages are not available to you")
    await expect(carol.locator(".message .body")).to_have_text(
        ["Not available to you: sent before you joined this conversation.", "hello carol"],
        timeout=15_000)
    await screenshot(carol, "direct-late-member")
    await team.close()


async def test_a_protected_key_is_restored_in_a_fresh_browser(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice, bob = team.pages["alice"], team.pages["bob"]
    await has_a_key(alice)
    await has_a_key(bob)
    await expect(bob.locator("#e2e-banner")).to_be_hidden()  # a public room: not here
    await bob.goto(f"{base}/profile")
    banner = bob.locator("#e2e-banner form[data-state=protect]")
    await banner.locator("summary").click()
    await bob.fill("#protect-passphrase", PASSPHRASE)
    await bob.fill("#protect-confirm", PASSPHRASE)
    await banner.get_by_role("button", name="Save backup").click()
    await expect(bob.locator("#e2e-banner")).to_be_hidden(timeout=15_000)
    await start_conversation(alice, base, team.names["bob"])
    await send(alice, "read me anywhere")
    ctx = await browser.new_context()
    fresh = await ctx.new_page()

    await log_in(fresh, base, team.names["bob"])
    await open_conversation(fresh, base, alice.url)
    await expect(fresh.locator("[data-state=no-key-here]")).to_be_visible()
    await fresh.fill("#restore-passphrase", "not the passphrase")
    await fresh.get_by_role("button", name="Restore my key").click()
    await expect(fresh.locator("[data-state=restore] .form-error")).to_have_text(
        "That passphrase does not unlock your key backup.", timeout=15_000)
    await fresh.fill("#restore-passphrase", PASSPHRASE)
    await fresh.get_by_role("button", name="Restore my key").click()

    await expect(fresh.locator(".message .body")).to_have_text(["read me anywhere"],
                                                               timeout=15_000)
    assert await rows_containing(live_server.database_url, PASSPHRASE) == []
    await ctx.close()
    await team.close()


async def test_an_encrypted_message_gets_the_rooms_formatting_and_never_its_html(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice, bob = team.pages["alice"], team.pages["bob"]
    await has_a_key(alice)
    await has_a_key(bob)
    await start_conversation(alice, base, team.names["bob"])
    await open_conversation(bob, base, alice.url)
    payload = "<img src=x onerror=\"document.title='pwned'\">"

    await alice.fill("#body", f"**bold** words :tada: {payload} and https://example.com")
    await alice.keyboard.press("Enter")

    for page in (alice, bob):
        body = page.locator(".message .body").last
        await expect(body.locator("strong")).to_have_text("bold", timeout=15_000)
        await expect(body).to_contain_text(payload)  # shown as text
        await expect(body).to_contain_text("words \N{PARTY POPPER}")  # :shortcode: as the server does
        assert await page.locator(".messages img").count() == 0
        link = body.get_by_role("link", name="https://example.com")
        await expect(link).to_have_attribute("rel", "noopener nofollow")
        await expect(link).to_have_attribute("target", "_blank")
        assert "pwned" not in await page.title()
    await team.close()


async def test_the_backup_prompt_shows_where_private_messages_are_once_a_day_and_on_the_profile(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice = team.pages["alice"]
    await has_a_key(alice)
    banner = alice.locator("#e2e-banner")
    await expect(banner).to_be_hidden()  # a public room: nothing private here

    await alice.goto(f"{base}/dm")
    await expect(banner).to_be_visible()
    await alice.goto(f"{base}/dm/{team.names['bob']}")
    await expect(alice.locator(".start-conversation")).to_be_visible()
    await expect(banner).to_be_hidden()  # asked once today already, on another page
    await alice.goto(f"{base}/dm")
    await expect(banner).to_be_visible()  # the page it was shown on keeps it
    await alice.goto(f"{base}/profile")
    await expect(banner).to_be_visible()  # always where keys are managed
    await team.close()

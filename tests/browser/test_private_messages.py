"""Private messages in Chromium: keys made in two browsers, ciphertext only on the server."""

from __future__ import annotations

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
)

ALICE_PASSPHRASE = "alice's long passphrase"
BOB_PASSPHRASE = "bob's longer passphrase"
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


@dataclass
class Pair:
    """Alice and bob, who share a room, each in their own browser context."""

    alice: Page
    bob: Page
    alice_name: str
    bob_name: str
    contexts: list[BrowserContext]

    def url(self, base: str, viewer: str) -> str:
        return f"{base}/dm/{self.bob_name if viewer == 'alice' else self.alice_name}"

    async def close(self) -> None:
        for ctx in self.contexts:
            await ctx.close()


async def make_pair(browser: Browser, base: str) -> Pair:
    contexts = [await browser.new_context(), await browser.new_context()]
    alice, bob = [await ctx.new_page() for ctx in contexts]
    alice_name, bob_name = unique("alice"), unique("bob")
    await sign_up(alice, base, alice_name)
    await sign_up(bob, base, bob_name)
    await join_room(bob, base, await create_room(alice, base, unique("team")))
    return Pair(alice, bob, alice_name, bob_name, contexts)


async def set_up_keys(page: Page, passphrase: str) -> None:
    form = page.locator("form[data-state=setup]")
    await expect(form).to_be_visible()
    await page.fill("#setup-passphrase", passphrase)
    await page.fill("#setup-confirm", passphrase)
    await form.get_by_role("button", name="Create my key").click()
    await expect(form).to_be_hidden()


async def send(page: Page, text: str) -> None:
    await expect(page.locator("#dm-composer")).to_be_visible()
    await page.fill("#dm-body", text)
    await page.keyboard.press("Enter")
    await expect(page.locator(".dm-message.mine .body").last).to_have_text(text)


async def both_ready(pair: Pair, base: str) -> None:
    """Bob sets up first (alice has no key yet), then alice, whose composer opens."""
    await pair.bob.goto(pair.url(base, "bob"))
    await set_up_keys(pair.bob, BOB_PASSPHRASE)
    await expect(pair.bob.locator("[data-state=no-peer-key]")).to_be_visible()
    await pair.alice.goto(pair.url(base, "alice"))
    await set_up_keys(pair.alice, ALICE_PASSPHRASE)


async def texts(page: Page) -> list[str]:
    return await page.locator(".dm-message .body").all_inner_texts()


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


async def test_alice_and_bob_talk_privately_and_the_server_keeps_only_ciphertext(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    pair = await make_pair(browser, base)
    secret = f"the eagle lands at {secrets.token_hex(6)}"
    await both_ready(pair, base)

    await send(pair.alice, secret)

    await expect(pair.bob.locator(".dm-message .body")).to_have_text([secret])
    await pair.bob.reload()
    await expect(pair.bob.locator(".dm-message .body")).to_have_text([secret])
    await expect(pair.bob.locator(".dm-message")).not_to_have_class("mine")
    alice_number = await pair.alice.locator(".safety-number").inner_text()
    assert alice_number == await pair.bob.locator(".safety-number").inner_text()
    assert await rows_containing(live_server.database_url, secret) == []
    assert await rows_containing(live_server.database_url, "eagle") == []
    assert await rows_containing(live_server.database_url, ALICE_PASSPHRASE) == []
    await screenshot(pair.alice, "dm-conversation")
    await pair.close()


async def test_mallory_cannot_open_their_conversation_or_its_messages(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    pair = await make_pair(browser, base)
    await both_ready(pair, base)
    await send(pair.alice, "for bob only")
    ctx = await browser.new_context()
    mallory = await ctx.new_page()
    await sign_up(mallory, base, unique("mallory"))

    page = await mallory.goto(pair.url(base, "alice"))
    messages = await mallory.request.get(pair.url(base, "alice") + "/messages?after=0")
    other_side = await mallory.request.get(pair.url(base, "bob") + "/messages")

    assert page is not None and page.status == 404
    await expect(mallory.locator("h1")).to_have_text("Not found")
    assert messages.status == other_side.status == 404
    assert "for bob only" not in await mallory.content()
    await ctx.close()
    await pair.close()


async def test_bob_restores_his_key_in_a_fresh_browser_and_reads_the_history(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    pair = await make_pair(browser, base)
    await both_ready(pair, base)
    await send(pair.alice, "first, before bob moved")
    await send(pair.alice, "second, to be tampered with")
    fresh_ctx = await browser.new_context()
    fresh = await fresh_ctx.new_page()
    await log_in(fresh, base, pair.bob_name)
    await fresh.goto(pair.url(base, "bob"))
    restore = fresh.locator("form[data-state=restore]")
    await expect(restore).to_be_visible()
    await expect(fresh.locator(".dm-message .body")).to_have_text(["Encrypted message"] * 2)

    await fresh.fill("#restore-passphrase", "not bob's passphrase")
    await restore.get_by_role("button", name="Restore my key").click()
    await expect(restore.locator(".form-error")).to_have_text(
        "That passphrase does not unlock your key backup.")
    await screenshot(fresh, "dm-wrong-passphrase")
    await fresh.fill("#restore-passphrase", BOB_PASSPHRASE)
    await restore.get_by_role("button", name="Restore my key").click()

    await expect(fresh.locator(".dm-message .body")).to_have_text(
        ["first, before bob moved", "second, to be tampered with"])
    await tamper(live_server.database_url, "2")
    await fresh.reload()
    await expect(fresh.locator(".dm-message .body")).to_have_text(
        ["first, before bob moved", "cannot decrypt this message"])
    await screenshot(fresh, "dm-cannot-decrypt")
    await fresh_ctx.close()
    await pair.close()


async def test_a_new_key_warns_the_contact_and_old_messages_stay_readable(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    pair = await make_pair(browser, base)
    await both_ready(pair, base)
    await send(pair.alice, "under bob's first key")
    old_number = await pair.alice.locator(".safety-number").inner_text()

    await pair.bob.goto(pair.url(base, "bob"))
    await pair.bob.locator(".safety summary").click()
    await pair.bob.get_by_role("button", name="Make a new key").click()
    await set_up_keys(pair.bob, BOB_PASSPHRASE)
    await pair.alice.reload()

    warning = pair.alice.locator("[data-state=key-changed]")
    await expect(warning).to_be_visible()
    await expect(warning).to_contain_text(f"{pair.bob_name}'s key has changed")
    await expect(pair.alice.locator("#dm-composer")).to_be_hidden()
    assert await pair.alice.locator(".safety-number").inner_text() != old_number
    await screenshot(pair.alice, "dm-key-changed")
    await warning.get_by_role("button", name="I have compared the safety number").click()
    await send(pair.alice, "under bob's second key")
    await pair.bob.reload()
    await expect(pair.bob.locator(".dm-message .body")).to_have_text(
        ["under bob's first key", "under bob's second key"])
    await pair.alice.reload()
    await expect(pair.alice.locator("[data-state=key-changed]")).to_be_hidden()
    await expect(pair.alice.locator(".dm-message .body")).to_have_text(
        ["under bob's first key", "under bob's second key"])
    await pair.close()


async def test_the_contacts_key_change_is_caught_before_the_next_send_without_a_reload(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    pair = await make_pair(browser, base)
    await both_ready(pair, base)

    await pair.bob.locator(".safety summary").click()
    await pair.bob.get_by_role("button", name="Make a new key").click()
    await set_up_keys(pair.bob, BOB_PASSPHRASE)
    await pair.alice.fill("#dm-body", "sent after bob's key changed")
    await pair.alice.keyboard.press("Enter")

    await expect(pair.alice.locator("[data-state=key-changed]")).to_be_visible()
    await expect(pair.alice.locator(".dm-message")).to_have_count(0)
    await pair.close()


async def tamper(database_url: str, seq: str) -> None:
    """Flip one character of a stored ciphertext, as a malicious or broken server might."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        row = await conn.fetchrow("SELECT id, ciphertext FROM direct_messages "
                                  "WHERE seq = $1 ORDER BY id DESC LIMIT 1", int(seq))
        flipped = ("B" if row["ciphertext"][0] == "A" else "A") + row["ciphertext"][1:]
        await conn.execute("UPDATE direct_messages SET ciphertext = $1 WHERE id = $2",
                           flipped, row["id"])
    finally:
        await conn.close()

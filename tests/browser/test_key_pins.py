"""Private conversations when the server lies: keys pinned by fingerprint, my own key from this
browser's store, a key stored before it is published, and safety numbers from local keys
(Chromium, the real server, real PostgreSQL)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from playwright.async_api import Browser, Page, Request, Route, expect

from app.db import asyncpg_dsn
from tests.browser.conftest import LiveServer, log_in, screenshot, sign_up, unique, wait_live
from tests.browser.test_private_messages import (
    has_a_key,
    make_team,
    open_conversation,
    send,
    start_conversation,
)

PASSPHRASE = "a long enough passphrase"
REPLACED = "The server holds a key for you that this browser does not have"
# Everything in this browser's key store, with each CryptoKey replaced by its type's name.
KEY_STORE = """async () => {
  const db = await new Promise((ok, ko) => {
    const req = indexedDB.open("parley-e2e");
    req.onsuccess = () => ok(req.result);
    req.onerror = () => ko(req.error);
  });
  const out = {};
  for (const name of Array.from(db.objectStoreNames)) {
    out[name] = await new Promise((ok) => {
      const req = db.transaction(name).objectStore(name).getAll();
      req.onsuccess = () => ok(req.result.map((r) => ({
        ...r, privateKey: r.privateKey instanceof CryptoKey ? "CryptoKey" : null})));
    });
  }
  db.close();
  return out;
}"""


async def database(live_server: LiveServer) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_dsn(live_server.database_url))


async def current_key(live_server: LiveServer, username: str) -> asyncpg.Record:
    conn = await database(live_server)
    try:
        return await conn.fetchrow(
            "SELECT k.id, k.algorithm, k.public_key FROM public_keys k "
            "JOIN users u ON u.id = k.user_id WHERE u.username = $1 ORDER BY k.id DESC LIMIT 1",
            username)
    finally:
        await conn.close()


async def swap_key_material(live_server: LiveServer, page: Page, username: str) -> str:
    """What a lying server does: keep the person's key id, put another key behind it (one
    UPDATE). Returns the attacker's public key."""
    row = await current_key(live_server, username)
    attacker = await page.evaluate("""async (alg) => {
      const keys = await import("/static/js/e2e/keys.js");
      window.attackerIdentity = await keys.generateIdentity(alg);  // for a forged message
      return window.attackerIdentity.publicKey;
    }""", row["algorithm"])
    conn = await database(live_server)
    try:
        await conn.execute("UPDATE public_keys SET public_key = $1 WHERE id = $2", attacker, row["id"])
    finally:
        await conn.close()
    return attacker


def safety_number(page: Page, name: str) -> Any:
    return page.locator(".safety-numbers li", has_text=name).locator(".safety-number")


def trust(page: Page, name: str) -> Any:
    return page.locator(".safety-numbers li", has_text=name).locator(".trust")


async def test_a_key_swapped_under_the_same_id_blocks_the_next_send_and_the_numbers_differ(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice, bob = team.pages["alice"], team.pages["bob"]
    alice_name, bob_name = team.names["alice"], team.names["bob"]
    for page in (alice, bob):
        await has_a_key(page)
    await start_conversation(alice, base, bob_name)
    await send(alice, "before the swap")
    await open_conversation(bob, base, alice.url)
    await expect(bob.locator(".message .body")).to_have_text(["before the swap"], timeout=15_000)
    await expect(safety_number(alice, bob_name)).to_have_count(1)
    await expect(safety_number(bob, alice_name)).to_have_count(1)
    before = await safety_number(alice, bob_name).text_content()
    assert await safety_number(bob, alice_name).text_content() == before
    bobs_key = await current_key(live_server, bob_name)

    await swap_key_material(live_server, alice, bob_name)
    await alice.fill("#body", "after the swap")
    await alice.locator("#body").press("Enter")

    warning = alice.locator("[data-state=key-changed]")
    await expect(warning).to_be_visible(timeout=15_000)
    await expect(warning).to_contain_text(f"{bob_name}'s key changed: verify before sending")
    await expect(alice.locator(".message .body")).to_have_text(["before the swap"])
    await expect(alice.locator("#body")).to_have_value("after the swap")
    await expect(safety_number(alice, bob_name)).not_to_have_text(before)
    await expect(trust(alice, bob_name)).to_have_text("new key, not accepted")
    alices_number = await safety_number(alice, bob_name).text_content()
    # bob's screen: his own key is the one his browser holds, so his number is not the swapped one
    await open_conversation(bob, base, alice.url)
    await expect(bob.locator("#e2e-banner [data-state=replaced]")).to_contain_text(REPLACED,
                                                                                    timeout=15_000)
    await expect(safety_number(bob, alice_name)).to_have_text(before)
    assert alices_number != before
    await screenshot(bob, "direct-own-key-replaced")
    # bob's browser published his real key again: a key alice accepted, whatever its new id
    republished = await current_key(live_server, bob_name)
    assert (republished["id"], republished["public_key"]) != (bobs_key["id"], bobs_key["public_key"])
    assert republished["public_key"] == bobs_key["public_key"]
    await alice.locator("#body").press("Enter")
    for page in (alice, bob):
        await expect(page.locator(".message .body")).to_have_text(
            ["before the swap", "after the swap"], timeout=15_000)
    await expect(warning).to_be_hidden()
    await team.close()


# What the server can do with the key it put behind bob's id: seal a message as bob, posted
# through the real route from a page of bob's (the attacker's identity lives in that page).
FORGE_AS_OWNER = """async ([roomId, text]) => {
  const env = await import("/static/js/e2e/envelope.js");
  const me = document.getElementById("e2e-banner").dataset.me;
  const data = await (await fetch(`/rooms/${roomId}/keys`)).json();
  const current = (id) => data.people[String(id)].keys.find(
    (k) => k.id === data.people[String(id)].current);
  const clientMsgId = `forged${Date.now()}`;
  const envelope = await env.sealForRoom({
    text, myPrivateKey: window.attackerIdentity.privateKey, mine: current(me),
    recipients: data.members.map(current),
    context: {room: String(roomId), clientMsgId, senderId: me}});
  const form = new FormData();
  form.append("client_msg_id", clientMsgId);
  form.append("envelope", JSON.stringify(envelope));
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"];
  const response = await fetch(`/rooms/${roomId}/messages`,
    {method: "POST", body: form, headers: {"X-CSRF-Token": csrf}});
  return response.ok;
}"""


async def test_a_message_sealed_with_a_key_not_accepted_for_its_author_says_so(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice, bob, bob_name = team.pages["alice"], team.pages["bob"], team.names["bob"]
    for page in (alice, bob):
        await has_a_key(page)
    await start_conversation(alice, base, bob_name)  # alice's browser meets bob's key
    await expect(safety_number(alice, bob_name)).to_have_count(1)
    await send(alice, "hello bob")
    room_id = int(alice.url.split("/rooms/")[1].split("?")[0].split("#")[0])
    await swap_key_material(live_server, bob, bob_name)

    assert await bob.evaluate(FORGE_AS_OWNER, [room_id, "forged by the server"]) is True
    await open_conversation(alice, base, alice.url)  # alice's next visit gets the swapped key

    forged = alice.locator(".message", has_text="forged by the server")
    await expect(forged.locator(".body")).to_have_text("forged by the server", timeout=15_000)
    await expect(forged.locator(".unaccepted-sender")).to_contain_text(
        "Sent with a key this browser has not accepted for them: it may not be from them.")
    await expect(alice.locator(".unaccepted-sender")).to_have_count(1)  # not on alice's own
    await team.close()


async def test_a_verified_contact_stays_verified_and_a_new_key_of_theirs_is_a_red_warning(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice, bob_name = team.pages["alice"], team.names["bob"]
    for page in team.pages.values():
        await has_a_key(page)
    await start_conversation(alice, base, bob_name)
    entry = alice.locator(".safety-numbers li", has_text=bob_name)

    await alice.locator(".safety summary").click()
    await entry.get_by_role("button", name="Mark as verified").click()
    await expect(trust(alice, bob_name)).to_have_text("✓ verified")
    await expect(alice.locator("h1 .verified-mark")).to_be_visible()
    await open_conversation(alice, base, alice.url)  # the mark is kept in this browser
    await expect(alice.locator("h1 .verified-mark")).to_be_visible(timeout=15_000)
    await send(alice, "verified and sent")
    ctx = await browser.new_context()
    fresh = await ctx.new_page()
    await log_in(fresh, base, bob_name)  # bob in a new browser, with a new key
    await fresh.goto(f"{base}/profile")  # the key prompt shows where keys are managed
    await fresh.get_by_role("button", name="Make a new key").click()
    await has_a_key(fresh)
    await alice.fill("#body", "to the new key")
    await alice.locator("#body").press("Enter")

    warning = alice.locator("[data-state=key-changed]")
    await expect(warning).to_be_visible(timeout=15_000)
    await expect(warning).to_have_class("e2e-state notice warning danger")
    await expect(warning.locator(".was-verified")).to_contain_text(f"You had verified {bob_name}")
    await expect(alice.locator("h1 .verified-mark")).to_be_hidden()
    await expect(alice.locator(".message .body")).to_have_text(["verified and sent"])
    await screenshot(alice, "direct-verified-key-changed")
    await warning.get_by_role("button", name="I have compared the new safety numbers again").click()
    await alice.locator("#body").press("Enter")
    await expect(alice.locator(".message .body")).to_have_text(
        ["verified and sent", "to the new key"], timeout=15_000)
    await expect(entry.get_by_role("button", name="Mark as verified")).to_be_visible()
    await ctx.close()
    await team.close()


async def test_a_new_key_is_in_this_browsers_store_before_it_is_published(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context()
    page = await ctx.new_page()
    held_when_published: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def look_in_the_store(route: Route, request: Request) -> None:
        if request.method == "POST" and not held_when_published.done():
            held_when_published.set_result({"posted": request.post_data or "",
                                            "store": await page.evaluate(KEY_STORE)})
        await route.continue_()

    await page.route(f"{base}/keys", look_in_the_store)
    await sign_up(page, base, unique("carol"))
    await has_a_key(page)

    seen = await asyncio.wait_for(held_when_published, 30)
    kept = seen["store"]["private-keys"]
    assert [r["privateKey"] for r in kept] == ["CryptoKey"]
    assert kept[0]["publicKey"] and kept[0]["publicKey"] in seen["posted"]
    assert kept[0]["keyId"] is None  # stored first, while the server had not numbered it yet
    store = await page.evaluate(KEY_STORE)
    assert [(r["keyId"] is not None, r["publicKey"]) for r in store["private-keys"]] == [
        (True, kept[0]["publicKey"])]
    await ctx.close()


async def test_a_page_left_right_after_publishing_keeps_the_key_the_server_got(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    ctx = await browser.new_context()
    page = await ctx.new_page()
    name = unique("dave")
    published: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def server_gets_it_page_never_hears(route: Route, request: Request) -> None:
        if request.method != "POST" or published.done():
            await route.continue_()
            return
        await route.fetch()  # the server stores the key...
        published.set_result(None)
        await route.abort()  # ...and the page is gone before the answer comes back

    await page.route(f"{base}/keys", server_gets_it_page_never_hears)
    await sign_up(page, base, name)
    await asyncio.wait_for(published, 30)
    await page.close()
    served = await current_key(live_server, name)

    again = await ctx.new_page()
    await again.goto(f"{base}/rooms")
    await wait_live(again)

    await has_a_key(again)  # asks to protect the key: it does not ask to restore or replace it
    await expect(again.locator("#e2e-banner form[data-state=restore]")).to_be_hidden()
    store = await again.evaluate(KEY_STORE)
    assert [(r["keyId"], r["publicKey"]) for r in store["private-keys"]] == [
        (served["id"], served["public_key"])]
    assert dict(await current_key(live_server, name)) == dict(served)  # nothing new published
    await ctx.close()


FORGET_PUBLIC_KEYS_AND_PINS = """async ([me, peer, seenKeyId]) => {
  // what a browser that used Parley before pins holds: private keys without their public
  // halves, no pins, and the key id it last saw for each contact in localStorage
  const db = await new Promise((ok, ko) => {
    const req = indexedDB.open("parley-e2e");
    req.onsuccess = () => ok(req.result);
    req.onerror = () => ko(req.error);
  });
  await new Promise((ok, ko) => {
    const tx = db.transaction(["private-keys", "pins"], "readwrite");
    const keys = tx.objectStore("private-keys");
    const all = keys.getAll();
    const names = keys.getAllKeys();
    names.onsuccess = () => all.result.forEach((r, i) => keys.put(
      {userId: r.userId, keyId: r.keyId, privateKey: r.privateKey}, names.result[i]));
    tx.objectStore("pins").clear();
    tx.oncomplete = ok;
    tx.onerror = () => ko(tx.error);
  });
  db.close();
  localStorage.setItem(`parley-e2e-seen:${me}:${peer}`, String(seenKeyId));
}"""


async def test_a_browser_from_before_pins_trusts_what_it_trusted_and_nothing_more(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob", "carol")
    alice, bob_name, carol_name = team.pages["alice"], team.names["bob"], team.names["carol"]
    for page in team.pages.values():
        await has_a_key(page)
    await start_conversation(alice, base, bob_name)
    await send(alice, "before the upgrade")
    ids = {}
    conn = await database(live_server)
    try:
        for who in ("alice", "bob", "carol"):
            ids[who] = await conn.fetchval("SELECT id FROM users WHERE username = $1",
                                           team.names[who])
    finally:
        await conn.close()
    bobs_key = await current_key(live_server, bob_name)
    await alice.evaluate(FORGET_PUBLIC_KEYS_AND_PINS, [ids["alice"], ids["bob"], bobs_key["id"]])
    await alice.evaluate(
        "([me, peer, id]) => localStorage.setItem(`parley-e2e-seen:${me}:${peer}`, String(id))",
        [ids["alice"], ids["carol"], (await current_key(live_server, carol_name))["id"]])
    ctx = await browser.new_context()
    fresh = await ctx.new_page()
    await log_in(fresh, base, carol_name)  # carol's key changed since alice's browser saw it
    await fresh.goto(f"{base}/profile")  # the key prompt shows where keys are managed
    await fresh.get_by_role("button", name="Make a new key").click()
    await has_a_key(fresh)

    await open_conversation(alice, base, alice.url)
    await send(alice, "after the upgrade")  # bob's key is the one the old record trusted

    store = await alice.evaluate(KEY_STORE)
    mine = await current_key(live_server, team.names["alice"])
    assert [(r["keyId"], r["publicKey"]) for r in store["private-keys"]] == [
        (mine["id"], mine["public_key"])]  # my public half is back, checked against my private key
    assert [p["peer"] for p in store["pins"]] == [str(ids["bob"])]
    assert await alice.evaluate("Object.keys(localStorage).filter((k) => k.includes('-seen:'))") \
        == [f"parley-e2e-seen:{ids['alice']}:{ids['carol']}"]
    await alice.fill("#add-username", carol_name)
    await alice.get_by_role("button", name="Add", exact=True).click()
    await expect(alice.locator(".flashes")).to_contain_text("was added")
    await alice.fill("#body", "carol joins")
    await alice.locator("#body").press("Enter")
    warning = alice.locator("[data-state=key-changed]")
    await expect(warning).to_contain_text(f"{carol_name}'s key changed: verify before sending",
                                          timeout=15_000)
    await expect(alice.locator(".message .body")).to_have_text(
        ["before the upgrade", "after the upgrade"])
    await ctx.close()
    await team.close()


async def test_a_key_published_again_after_a_swap_is_restored_with_the_backup_in_a_new_browser(
        browser: Browser, live_server: LiveServer) -> None:
    base = live_server.url
    team = await make_team(browser, base, "alice", "bob")
    alice, bob, bob_name = team.pages["alice"], team.pages["bob"], team.names["bob"]
    for page in (alice, bob):
        await has_a_key(page)
    await bob.goto(f"{base}/profile")  # where the backup prompt always is
    protect = bob.locator("#e2e-banner form[data-state=protect]")
    await protect.locator("summary").click()
    await bob.fill("#protect-passphrase", PASSPHRASE)
    await bob.fill("#protect-confirm", PASSPHRASE)
    await protect.get_by_role("button", name="Save backup").click()
    await expect(bob.locator("#e2e-banner")).to_be_hidden(timeout=15_000)
    await start_conversation(alice, base, bob_name)
    await send(alice, "sealed to the first row")
    bobs_key = await current_key(live_server, bob_name)
    await swap_key_material(live_server, alice, bob_name)

    await bob.goto(f"{base}/rooms")
    await expect(bob.locator("#e2e-banner [data-state=replaced]")).to_contain_text(REPLACED,
                                                                                    timeout=15_000)
    await send(alice, "sealed to the row published again")
    ctx = await browser.new_context()
    fresh = await ctx.new_page()
    await log_in(fresh, base, bob_name)
    await open_conversation(fresh, base, alice.url)
    await fresh.fill("#restore-passphrase", PASSPHRASE)
    await fresh.get_by_role("button", name="Restore my key").click()

    await expect(fresh.locator(".message .body")).to_have_text(
        ["sealed to the first row", "sealed to the row published again"], timeout=15_000)
    await expect(fresh.locator("#e2e-banner [data-state=replaced]")).to_be_hidden()
    kept = (await fresh.evaluate(KEY_STORE))["private-keys"]
    current = await current_key(live_server, bob_name)
    assert sorted((r["keyId"], r["publicKey"]) for r in kept) == [
        (bobs_key["id"], bobs_key["public_key"]), (current["id"], bobs_key["public_key"])]
    await ctx.close()
    await team.close()

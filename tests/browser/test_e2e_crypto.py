"""The browser crypto modules (static/js/e2e/), run in Chromium against the served files."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser, Page

from tests.browser.conftest import LiveServer

IMPORTS = """
  const keys = await import("/static/js/e2e/keys.js");
  const env = await import("/static/js/e2e/envelope.js");
"""
# Two identities and a message context, made inside the page for each check.
PAIR = IMPORTS + """
  const alg = ALG;
  const alice = await keys.createIdentity("alice passphrase 1", alg);
  const bob = await keys.createIdentity("bob passphrase 22", alg);
  const ctx = {conversation: 7, clientMsgId: "c0ffee0000000001", senderId: 1, recipientId: 2,
               senderKeyId: 11, recipientKeyId: 22};
  const aliceKey = {algorithm: alg, public_key: alice.publicKey};
  const bobKey = {algorithm: alg, public_key: bob.publicKey};
  const sealed = await env.seal({text: "meet at 9 — ünïcode ✓", myPrivateKey: alice.privateKey,
                                 mine: aliceKey, theirs: bobKey, context: ctx});
  const openAs = (who, overrides = {}) => env.open({
    envelope: {...sealed, ...(overrides.envelope || {})},
    myPrivateKey: who === "bob" ? bob.privateKey : alice.privateKey,
    mine: who === "bob" ? bobKey : aliceKey, theirs: who === "bob" ? aliceKey : bobKey,
    context: {...ctx, ...(overrides.context || {})}});
  const fails = async (promise) => { try { await promise; return false; } catch { return true; } };
"""


async def run(page: Page, body: str, alg: str = "X25519") -> Any:
    return await page.evaluate(f"(async () => {{ {PAIR.replace('ALG', repr(alg))} {body} }})()")


async def crypto_page(browser: Browser, live_server: LiveServer) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{live_server.url}/login")
    return page


async def test_the_recipient_and_the_sender_both_open_a_sealed_message(
        browser: Browser, live_server: LiveServer) -> None:
    page = await crypto_page(browser, live_server)

    result = await run(page, """
      return {bob: await openAs("bob"), alice: await openAs("alice"), alg: alg,
              ivBytes: keys.fromB64url(sealed.iv).length,
              saltBytes: keys.fromB64url(sealed.salt).length};""")

    assert result == {"bob": "meet at 9 — ünïcode ✓", "alice": "meet at 9 — ünïcode ✓",
                      "alg": "X25519", "ivBytes": 12, "saltBytes": 32}
    await page.context.close()


async def test_the_p256_fallback_round_trips_too(browser: Browser, live_server: LiveServer) -> None:
    page = await crypto_page(browser, live_server)

    result = await run(page, 'return await openAs("bob");', alg="P-256")

    assert result == "meet at 9 — ünïcode ✓"
    await page.context.close()


async def test_a_tampered_or_moved_message_does_not_open(browser: Browser,
                                                         live_server: LiveServer) -> None:
    page = await crypto_page(browser, live_server)

    result = await run(page, """
      const flipped = (sealed.ciphertext[0] === "A" ? "B" : "A") + sealed.ciphertext.slice(1);
      return {
        ciphertext: await fails(openAs("bob", {envelope: {ciphertext: flipped}})),
        iv: await fails(openAs("bob", {envelope: {iv: keys.toB64url(keys.randomBytes(12))}})),
        salt: await fails(openAs("bob", {envelope: {salt: keys.toB64url(keys.randomBytes(32))}})),
        conversation: await fails(openAs("bob", {context: {conversation: 8}})),
        sender: await fails(openAs("bob", {context: {senderId: 3}})),
        keyId: await fails(openAs("bob", {context: {recipientKeyId: 23}})),
        messageId: await fails(openAs("bob", {context: {clientMsgId: "c0ffee0000000002"}})),
      };""")

    assert result == {"ciphertext": True, "iv": True, "salt": True, "conversation": True,
                      "sender": True, "keyId": True, "messageId": True}
    await page.context.close()


async def test_a_third_key_cannot_open_the_message(browser: Browser,
                                                   live_server: LiveServer) -> None:
    page = await crypto_page(browser, live_server)

    result = await run(page, """
      const eve = await keys.createIdentity("eve passphrase 333", alg);
      return await fails(env.open({envelope: sealed, myPrivateKey: eve.privateKey,
                                   mine: {algorithm: alg, public_key: eve.publicKey},
                                   theirs: aliceKey, context: ctx}));""")

    assert result is True
    await page.context.close()


async def test_every_message_gets_a_fresh_iv_and_salt(browser: Browser,
                                                      live_server: LiveServer) -> None:
    page = await crypto_page(browser, live_server)

    result = await run(page, """
      const again = await env.seal({text: "meet at 9 — ünïcode ✓", myPrivateKey: alice.privateKey,
                                    mine: aliceKey, theirs: bobKey, context: ctx});
      return [again.iv !== sealed.iv, again.salt !== sealed.salt,
              again.ciphertext !== sealed.ciphertext];""")

    assert result == [True, True, True]
    await page.context.close()


async def test_the_backup_opens_only_with_the_passphrase_into_a_non_extractable_key(
        browser: Browser, live_server: LiveServer) -> None:
    page = await crypto_page(browser, live_server)

    result = await run(page, """
      const backup = bob.backup;
      let wrong = null;
      try { await keys.unwrapPrivateKey(backup, "bob passphrase 23"); }
      catch (err) { wrong = [err.name, err.message]; }
      const restored = await keys.unwrapPrivateKey(backup, "bob passphrase 22");
      const exportable = !(await fails(crypto.subtle.exportKey("pkcs8", restored)));
      const opened = await env.open({envelope: sealed, myPrivateKey: restored, mine: bobKey,
                                     theirs: aliceKey, context: ctx});
      return {wrong, exportable, opened, extractable: bob.privateKey.extractable,
              iterations: backup.iterations, saltBytes: keys.fromB64url(backup.salt).length};""")

    assert result == {"wrong": ["WrongPassphrase", "That passphrase does not unlock your key backup."],
                      "exportable": False, "opened": "meet at 9 — ünïcode ✓",
                      "extractable": False, "iterations": 600000, "saltBytes": 16}
    await page.context.close()


async def test_the_safety_number_is_the_same_on_both_sides_and_changes_with_a_key(
        browser: Browser, live_server: LiveServer) -> None:
    page = await crypto_page(browser, live_server)

    result = await run(page, """
      const carol = await keys.createIdentity("carol passphrase 4", alg);
      return [await keys.safetyNumber(alice.publicKey, bob.publicKey),
              await keys.safetyNumber(bob.publicKey, alice.publicKey),
              await keys.safetyNumber(alice.publicKey, carol.publicKey)];""")

    assert result[0] == result[1]
    assert result[0] != result[2]
    assert len(result[0].split(" ")) == 8
    assert all(len(group) == 5 and group.isdigit() for group in result[0].split(" "))
    await page.context.close()


GROUP = IMPORTS + """
  const make = async (id, name) => {
    const who = await keys.createIdentity(name + " passphrase 1", "X25519");
    return {...who, record: {id, algorithm: "X25519", public_key: who.publicKey}};
  };
  const [alice, bob, carol, dave] = [await make(11, "alice"), await make(22, "bob"),
                                     await make(33, "carol"), await make(44, "dave")];
  const ctx = {room: 9, clientMsgId: "c0ffee0000000009", senderId: 1};
  const sealed = await env.sealForRoom({text: "group plan ✓", myPrivateKey: alice.privateKey,
    mine: alice.record, recipients: [alice.record, bob.record, carol.record], context: ctx});
  const openAs = (who, overrides = {}) => env.openFromRoom({
    envelope: {...sealed, ...(overrides.envelope || {})}, myPrivateKey: who.privateKey,
    mine: who.record, sender: overrides.sender || alice.record,
    context: {...ctx, ...(overrides.context || {})}});
  const fails = async (promise) => { try { await promise; return false; } catch { return true; } };
"""


async def test_every_member_opens_a_group_message_and_nobody_else_does(
        browser: Browser, live_server: LiveServer) -> None:
    page = await crypto_page(browser, live_server)

    result = await page.evaluate("(async () => {" + GROUP + """
      const flipped = (sealed.ciphertext[0] === "A" ? "B" : "A") + sealed.ciphertext.slice(1);
      return {
        opened: [await openAs(alice), await openAs(bob), await openAs(carol)],
        sealedFor: sealed.keys.map((k) => k.key),
        outsider: await fails(openAs(dave)),
        tampered: await fails(openAs(bob, {envelope: {ciphertext: flipped}})),
        movedRoom: await fails(openAs(bob, {context: {room: 10}})),
        otherSender: await fails(openAs(bob, {context: {senderId: 2}})),
        forgedSender: await fails(openAs(bob, {sender: carol.record})),
      };})()""")

    assert result == {"opened": ["group plan ✓"] * 3, "sealedFor": [11, 22, 33],
                      "outsider": True, "tampered": True, "movedRoom": True,
                      "otherSender": True, "forgedSender": True}
    await page.context.close()


async def test_a_fingerprint_names_the_key_material_and_a_pair_check_needs_no_export(
        browser: Browser, live_server: LiveServer) -> None:
    page = await crypto_page(browser, live_server)

    result = await page.evaluate("(async () => {" + GROUP + """
      const p256 = await keys.createIdentity("p256 passphrase 1", "P-256");
      return {
        fingerprint: await keys.fingerprint(alice.publicKey),
        again: await keys.fingerprint(alice.publicKey),
        other: await keys.fingerprint(bob.publicKey),
        extractable: alice.privateKey.extractable,
        ownPair: await keys.keyPairMatches(alice.privateKey, alice.publicKey),
        otherPair: await keys.keyPairMatches(alice.privateKey, bob.publicKey),
        p256Pair: await keys.keyPairMatches(p256.privateKey, p256.publicKey),
        wrongAlgorithm: await keys.keyPairMatches(p256.privateKey, alice.publicKey),
        zeroPoint: await keys.keyPairMatches(alice.privateKey, keys.toB64url(new Uint8Array(32))),
      };})()""")

    assert result["fingerprint"] == result["again"] != result["other"]
    assert len(result["fingerprint"]) == 43  # SHA-256, base64url
    assert {k: v for k, v in result.items() if k not in ("fingerprint", "again", "other")} == {
        "extractable": False, "ownPair": True, "otherPair": False, "p256Pair": True,
        "wrongAlgorithm": False, "zeroPoint": False}
    await page.context.close()


async def test_a_file_round_trips_and_its_parts_cannot_be_swapped_or_altered(
        browser: Browser, live_server: LiveServer) -> None:
    """files.js: what is uploaded is ciphertext; the file and its thumbnail each open only as
    themselves; one altered bit and it does not open. /files/<key> is served from the blobs
    the page "uploaded" (Playwright answers it), so any swap can be tried."""
    page = await crypto_page(browser, live_server)
    blobs: dict[str, bytes] = {}

    async def serve(route: Any) -> None:
        key = route.request.url.rsplit("/", 1)[1]
        await route.fulfill(status=200, body=blobs[key],
                            headers={"Content-Type": "application/octet-stream"})

    await page.route("**/files/*", serve)
    await page.expose_function("keep", lambda key, data: blobs.__setitem__(key, bytes(data)))
    result = await page.evaluate("""async () => {
      const files = await import("/static/js/e2e/files.js");
      const canvas = document.createElement("canvas");
      canvas.width = 800; canvas.height = 400;
      canvas.getContext("2d").fillRect(0, 0, 400, 400);
      const png = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      const file = new File([png], "secret plan.png", { type: "image/png" });
      let n = 0;
      const upload = async (bytes) => {
        const key = String(++n).padStart(32, "0");
        await window.keep(key, Array.from(new Uint8Array(bytes)));
        return key;
      };
      const record = await files.encryptAndUpload(file, upload);
      const plain = new Uint8Array(await file.arrayBuffer());
      const full = new Uint8Array(await files.fetchAndDecrypt(record, "full"));
      const thumb = await files.fetchAndDecrypt(record, "thumb");
      const fails = async (rec, part) => {
        try { await files.fetchAndDecrypt(rec, part); return false; } catch { return true; }
      };
      const body = files.bodyWithFiles("see attached", [record]);
      return {
        same: full.length === plain.length && full.every((b, i) => b === plain[i]),
        thumbIsJpeg: new Uint8Array(thumb)[0] === 0xff && new Uint8Array(thumb)[1] === 0xd8,
        size: [record.width, record.height], name: record.name, type: record.type,
        swapped: await fails({ ...record, blob: record.thumb, iv: record.thumb_iv }, "full"),
        swappedBack: await fails({ ...record, thumb: record.blob, thumb_iv: record.iv }, "thumb"),
        split: files.splitBody(body), plainText: files.splitBody("just text"),
      };
    }""")
    first = blobs["0" * 31 + "1"]
    blobs["0" * 31 + "1"] = first[:-1] + bytes([first[-1] ^ 1])
    altered = await page.evaluate("""async (record) => {
      const files = await import("/static/js/e2e/files.js");
      try { await files.fetchAndDecrypt(record, "full"); return false; } catch { return true; }
    }""", result["split"]["files"][0])

    assert result["same"] is True and result["thumbIsJpeg"] is True
    assert result["size"] == [320, 160]
    assert (result["name"], result["type"]) == ("secret plan.png", "image/png")
    assert result["swapped"] is True and result["swappedBack"] is True
    assert result["split"]["text"] == "see attached"
    assert result["plainText"] == {"text": "just text", "files": []}
    assert altered is True
    assert b"secret plan" not in first
    await page.context.close()

// The private conversation page: finds out what this browser has (no key yet, a key to
// restore, or a ready key), shows the matching panel, then wires the composer, the safety
// number, the key-change warning and the polling catch-up. Loaded once per tab by the
// conversation page (htmx runs it after a boosted swap too); later boosted visits re-run
// init() through htmx:afterSettle.

import { createIdentity, preferredAlgorithm, safetyNumber, unwrapPrivateKey, WrongPassphrase }
  from "./keys.js";
import { lastSeenKey, loadPrivateKeys, rememberSeenKey, requestPersistence, savePrivateKey }
  from "./keystore.js";
import { setUpComposer } from "./composer.js";
import { useSession } from "./reader.js";

const POLL_MS = 3000;
const sessions = new WeakMap(); // page root -> the session its composer and reader use

// A refusal meant for the person at the keyboard (shown as is).
class Refusal extends Error {}

function init() {
  const root = document.querySelector("section.dm");
  if (!root || root.dataset.e2eStarted) return;
  root.dataset.e2eStarted = "1";
  start(root).catch(() => show(root, null, "Private messages could not start. Reload the page."));
}

async function start(root) {
  show(root, "checking");
  const d = root.dataset;
  const [mine, theirs, privateKeys] = await Promise.all(
    [getJson(d.myKeysUrl), getJson(d.peerKeysUrl), loadPrivateKeys(d.me)]);
  if (mine.current === null) return askForSetup(root, false);
  if (!privateKeys.has(mine.current)) return askForRestore(root);
  const session = makeSession(root, mine, theirs, privateKeys);
  sessions.set(root, session);
  await useSession(session, root);
  startPolling(root);
  if (session.peerCurrent === null) return show(root, "no-peer-key");
  await showSafetyNumber(root, session);
  show(root, null);
  setUpComposer(composer(root), () => sessions.get(root), {
    checkPeer: () => checkPeer(root, sessions.get(root)),
    onSent: (html) => append(root, html),
  });
  await checkPeer(root, session, true);
}

function makeSession(root, mine, theirs, privateKeys) {
  const d = root.dataset;
  const byUser = { [d.me]: mine, [d.peer]: theirs };
  const session = {
    me: d.me, peer: d.peer, conversation: d.conversation, privateKeys,
    myCurrent: find(mine, mine.current), peerCurrent: find(theirs, theirs.current),
    // Public keys by owner and id; a key id the page has not seen yet triggers one refetch.
    async keyOf(userId, keyId) {
      let key = find(byUser[userId], keyId);
      if (!key && byUser[userId]) {
        byUser[userId] = await getJson(userId === d.me ? d.myKeysUrl : d.peerKeysUrl);
        key = find(byUser[userId], keyId);
      }
      return key;
    },
    async refreshPeer() {
      byUser[d.peer] = await getJson(d.peerKeysUrl);
      session.peerCurrent = find(byUser[d.peer], byUser[d.peer].current);
    },
  };
  return session;
}

// True when the contact's current key is the one this browser accepted; otherwise shows the
// warning and keeps the composer shut until the user confirms the new safety number.
async function checkPeer(root, session, firstLook = false) {
  if (!firstLook) await session.refreshPeer();
  const seen = lastSeenKey(session.me, session.peer);
  const current = session.peerCurrent;
  if (seen === null || seen === current.id) {
    rememberSeenKey(session.me, session.peer, current.id); // trust on first use
    composer(root).hidden = false;
    return true;
  }
  await showSafetyNumber(root, session);
  composer(root).hidden = true;
  show(root, "key-changed");
  const button = root.querySelector("[data-action=accept-key]");
  button.onclick = () => {
    rememberSeenKey(session.me, session.peer, current.id);
    show(root, null);
    composer(root).hidden = false;
    root.querySelector("#dm-body").focus();
  };
  return false;
}

async function showSafetyNumber(root, session) {
  const box = root.querySelector(".safety");
  box.querySelector(".safety-number").textContent =
    await safetyNumber(session.myCurrent.public_key, session.peerCurrent.public_key);
  box.hidden = false;
  box.querySelector("[data-action=new-key]").onclick = () => askForSetup(root, true);
}

function askForSetup(root, newKey) {
  const form = show(root, "setup");
  composer(root).hidden = true;
  form.querySelector(".setup-title").textContent = newKey ? "Make a new key" : "Set up private messages";
  form.querySelector(".new-key-note").hidden = !newKey;
  form.onsubmit = (evt) => submitting(evt, form, async () => {
    const passphrase = form.querySelector("#setup-passphrase").value;
    if (passphrase !== form.querySelector("#setup-confirm").value) {
      throw new Refusal("The two passphrases differ.");
    }
    const identity = await createIdentity(passphrase, await preferredAlgorithm());
    const published = await postForm(root.dataset.publishUrl, {
      algorithm: identity.algorithm, public_key: identity.publicKey, ...identity.backup,
    });
    await savePrivateKey(root.dataset.me, published.id, identity.privateKey);
    await requestPersistence();
  });
}

function askForRestore(root) {
  const form = show(root, "restore");
  form.querySelector("[data-action=new-key]").onclick = () => askForSetup(root, true);
  form.onsubmit = (evt) => submitting(evt, form, async () => {
    const passphrase = form.querySelector("#restore-passphrase").value;
    const { backups } = await getJson(root.dataset.backupUrl);
    let restored = 0;
    for (const backup of backups) {
      try {
        await savePrivateKey(root.dataset.me, backup.id, await unwrapPrivateKey(backup, passphrase));
        restored += 1;
      } catch (err) {
        if (!(err instanceof WrongPassphrase)) throw err;
      }
    }
    if (!restored) throw new WrongPassphrase();
    await requestPersistence();
  });
}

// Run a key form's work with its button disabled; on success start over with the new keys.
async function submitting(evt, form, work) {
  evt.preventDefault();
  const error = form.querySelector(".form-error");
  const button = form.querySelector("button[type=submit]");
  error.textContent = "";
  button.disabled = true;
  try {
    await work();
    form.reset();
    restart(form.closest("section.dm"));
  } catch (err) {
    error.textContent = err instanceof WrongPassphrase || err instanceof Refusal
      ? err.message : "That did not work. Reload the page and try again.";
  } finally {
    button.disabled = false;
  }
}

function startPolling(root) {
  if (root.dataset.polling) return;
  root.dataset.polling = "1";
  const timer = setInterval(async () => {
    if (!root.isConnected) return clearInterval(timer);
    await waitForPeerKey(root);
    if (globalThis.ParleyLive && globalThis.ParleyLive.isLive()) return;  // the socket pushes
    const seqs = Array.from(root.querySelectorAll(".dm-message"), (m) => Number(m.dataset.seq));
    const after = seqs.length ? Math.max(...seqs) : 0;
    try {
      const response = await fetch(`${root.dataset.messagesUrl}?after=${after}`,
        { headers: { "HX-Request": "true" }, credentials: "same-origin" });
      if (response.ok) append(root, await response.text());
    } catch {
      // Offline for a moment: the next tick catches up.
    }
  }, POLL_MS);
}

// While the contact has no key yet, each poll asks again and opens the composer once they do.
async function waitForPeerKey(root) {
  const session = sessions.get(root);
  if (!session || session.peerCurrent !== null) return;
  await session.refreshPeer();
  if (session.peerCurrent !== null) restart(root);
}

function restart(root) {
  delete root.dataset.e2eStarted;
  init();
}

function append(root, html) {
  if (html.trim()) globalThis.htmx.swap(root.querySelector(".messages"), html, { swapStyle: "beforeend" });
}

function show(root, state, message) {
  let shown = null;
  root.querySelectorAll(".e2e-state").forEach((el) => {
    el.hidden = el.dataset.state !== state;
    if (!el.hidden) shown = el;
  });
  if (message) root.querySelector(".e2e-panel").textContent = message;
  return shown;
}

function composer(root) {
  return root.querySelector("#dm-composer");
}

function find(list, id) {
  return list && id !== null ? list.keys.find((k) => k.id === id) || null : null;
}

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

async function postForm(url, fields) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  const token = document.querySelector("#dm-composer input[name=csrf_token]").value;
  const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
                                      headers: { "X-CSRF-Token": token } });
  const data = await response.json();
  if (!response.ok) {
    throw new Refusal(Object.values(data.errors || {}).join(" ") || "The server refused the key.");
  }
  return data;
}

document.addEventListener("htmx:afterSettle", init);
init();

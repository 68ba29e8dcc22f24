// Keys without ceremony. On every page of a signed-in person this module makes sure the
// browser has a key for private messages:
// - nobody has a key yet: make one at once and publish its public half (no passphrase asked);
// - the key is not protected yet: a banner asks for a passphrase to back it up (dismissible:
//   it blocks nothing);
// - this browser lacks the person's key: the banner offers to restore it from the backup, or
//   to make a new one.
// - the server holds a key for the person that this browser does not have (same id, other
//   key material): a warning, and the browser publishes its real key again (checkOwnKey). A
//   key the browser does not hold is replaced, never trusted.
// A new key is stored in IndexedDB (committed) before its public half is published, so a page
// left at once cannot leave the server with a key no browser kept. My own public key comes
// from that store, never from the server.
// Other modules wait for the keys with `keysReady()` and hear of new ones with
// `onKeysChanged()`. The page tells us the server's view in #e2e-banner's data attributes.

import { algorithmOf, backUpIdentity, generateIdentity, keyPairMatches, preferredAlgorithm,
         unwrapPrivateKey, WrongPassphrase } from "./keys.js";
import { loadOwnKeys, requestPersistence, saveOwnKey } from "./keystore.js";
import { register } from "../behaviours.js";

const SNOOZE_MS = 24 * 3600 * 1000;
const listeners = new Set();
// {me, currentKeyId, backedUp, privateKeys: Map of key id -> CryptoKey, publicKeys: Map of key
//  id -> {id, algorithm, public_key} (mine, from this browser's store), pending: a stored key
//  not published yet, replaced: the server held a key for me this browser does not have}
let state = null;
let ready = null;      // the promise keysReady() returns for the signed-in person

// A refusal meant for the person at the keyboard (shown as is).
class Refusal extends Error {}

export function keysReady() {
  return ready || Promise.resolve(null);
}

export function onKeysChanged(listener) {
  listeners.add(listener);
}

function banner() {
  return document.getElementById("e2e-banner");
}

function start() {
  const b = banner();
  if (!b) return;
  if (!ready || !state || state.me !== b.dataset.me) {
    ready = load(b).catch(() => null);
  }
  ready.then((s) => { if (s) showBanner(); });
}

async function load(b) {
  const me = b.dataset.me;
  const currentKeyId = b.dataset.keyId ? Number(b.dataset.keyId) : null;
  const held = await loadOwnKeys(me);
  state = { me, currentKeyId, backedUp: b.dataset.backedUp === "true", privateKeys: new Map(),
            publicKeys: new Map(), pending: held.pending, replaced: false, republished: false };
  for (const [id, record] of held.keys) hold(id, record);
  if (currentKeyId === null) await makeKey();
  else await checkOwnKey(currentKeyId, b.dataset.publicKey);
  return state;
}

function hold(id, record) {
  state.privateKeys.set(id, record.privateKey);
  if (record.publicKey) {
    state.publicKeys.set(id, { id, algorithm: record.algorithm, public_key: record.publicKey });
  }
}

async function keep(id, record) {
  await saveOwnKey(state.me, id, record);
  hold(id, record);
}

// Compare what the server serves as my key `id` with what this browser holds. A key pair this
// browser holds under another id, or published from here but whose id was never stored (the
// page was left), is kept under this id too; a key this browser does not hold at all is another
// browser's (the banner offers to restore it). When the server has other key material under an
// id this browser holds, it says so and publishes the real key again (once per page). Returns
// true when it published.
export async function checkOwnKey(id, servedPublicKey) {
  if (!state || !servedPublicKey) return false;
  const privateKey = state.privateKeys.get(id);
  if (!privateKey) {
    const same = heldPair(servedPublicKey);
    if (same) {
      await keep(id, same);
      if (same === state.pending) state.pending = null;
      changed();
    }
    return false;
  }
  const mine = state.publicKeys.get(id);
  if (mine && mine.public_key === servedPublicKey) return false;
  if (!mine && await keyPairMatches(privateKey, servedPublicKey)) {
    // a key stored before this browser kept public keys: it is the pair, so keep both halves
    await keep(id, { privateKey, publicKey: servedPublicKey, algorithm: algorithmOf(privateKey) });
    return false;
  }
  state.replaced = true;
  if (state.republished) {
    showBanner();
    return false;
  }
  state.republished = true;
  if (mine) {
    await publishHeld({ privateKey, publicKey: mine.public_key, algorithm: mine.algorithm });
    changed();
  } else {
    await makeKey();  // a key stored before version 2: its public half is unknown here
  }
  return true;
}

// The key pair this browser holds (published or pending) whose public half is `publicKey`.
function heldPair(publicKey) {
  for (const mine of state.publicKeys.values()) {
    if (mine.public_key === publicKey) {
      return { privateKey: state.privateKeys.get(mine.id), publicKey, algorithm: mine.algorithm };
    }
  }
  return state.pending && state.pending.publicKey === publicKey ? state.pending : null;
}

// Make a key pair here, store it, and only then publish it; it becomes the current key.
async function makeKey() {
  let record = state.pending;  // stored but never published: the page was left in between
  if (!record) {
    const identity = await generateIdentity(await preferredAlgorithm());
    record = { privateKey: identity.privateKey, publicKey: identity.publicKey,
               algorithm: identity.algorithm };
    await saveOwnKey(state.me, null, record);
    state.pending = record;
  }
  await publishHeld(record);
  state.pending = null;
  state.backedUp = false;
  await requestPersistence();
  changed();
}

// Publish a key pair this browser holds; it becomes the person's current key.
async function publishHeld(record) {
  const published = await postForm(banner().dataset.publishUrl,
    { algorithm: record.algorithm, public_key: record.publicKey });
  await keep(published.id, record);
  state.currentKeyId = published.id;
}

function changed() {
  for (const listener of listeners) listener(state);
  showBanner();
}

function showBanner() {
  const b = banner();
  if (!b || !state || b.dataset.me !== state.me) return;
  const have = state.privateKeys.has(state.currentKeyId);
  const snoozed = Number(localStorage.getItem(snoozeName()) || 0) > Date.now();
  let wanted = null;
  if (state.replaced) wanted = "replaced";
  else if (!have) wanted = "restore";
  else if (!state.backedUp && state.privateKeys.get(state.currentKeyId).extractable) wanted = "protect";
  // Only where private messages are read or written (a direct room, the private-messages
  // pages, the profile): anywhere else it would only push the page around. A key the server
  // replaced is said everywhere, snoozed or not.
  const matters = document.querySelector(".room.direct, [data-key-prompt]");
  b.hidden = wanted === null || (wanted !== "replaced" && (snoozed || !matters))
    || (wanted === "protect" && !askedHereToday());
  b.querySelectorAll("[data-state]").forEach((part) => { part.hidden = part.dataset.state !== wanted; });
  wire(b);
}

function wire(b) {
  if (b.dataset.wired) return;
  b.dataset.wired = "1";
  b.querySelector("[data-state=protect]").onsubmit = (evt) => submitting(evt, protect);
  b.querySelector("[data-state=restore]").onsubmit = (evt) => submitting(evt, restore);
  b.querySelectorAll("[data-action=snooze]").forEach((button) => {
    button.onclick = () => {
      localStorage.setItem(snoozeName(), String(Date.now() + SNOOZE_MS));
      b.hidden = true;
    };
  });
  b.querySelectorAll("[data-action=dismiss]").forEach((button) => {
    button.onclick = () => {
      state.replaced = false;
      showBanner();
    };
  });
  b.querySelectorAll("[data-action=new-key]").forEach((button) => {
    button.onclick = () => run(b.querySelector("[data-state=restore]"), makeKey);
  });
}

async function protect(form) {
  const passphrase = form.querySelector("#protect-passphrase").value;
  if (passphrase !== form.querySelector("#protect-confirm").value) {
    throw new Refusal("The two passphrases differ.");
  }
  const id = state.currentKeyId;
  const privateKey = state.privateKeys.get(id);
  const algorithm = algorithmOf(privateKey);
  const { backup, privateKey: locked } = await backUpIdentity(privateKey, algorithm, passphrase);
  await postForm(`${banner().dataset.publishUrl}/${id}/backup`, backup);
  const mine = state.publicKeys.get(id);
  // from now on only the non-extractable copy
  await keep(id, { privateKey: locked, publicKey: mine ? mine.public_key : null, algorithm });
  state.backedUp = true;
  changed();
}

async function restore(form) {
  const passphrase = form.querySelector("#restore-passphrase").value;
  const response = await fetch(banner().dataset.backupsUrl, { credentials: "same-origin" });
  const { backups } = await response.json();
  let restored = 0;
  for (const backup of backups) {
    try {
      const key = await unwrapPrivateKey(backup, passphrase);
      const publicKey = await publicHalf(key, [backup.public_key, banner().dataset.publicKey]);
      await keep(backup.id, { privateKey: key, publicKey, algorithm: algorithmOf(key) });
      restored += 1;
    } catch (err) {
      if (!(err instanceof WrongPassphrase)) throw err;
    }
  }
  if (!restored) throw new WrongPassphrase();
  await requestPersistence();
  if (!await checkOwnKey(state.currentKeyId, banner().dataset.publicKey)) changed();
}

// Which of the public keys the server gave is the public half of `privateKey` (null if none):
// the server's word is kept only when the key pair check proves it.
async function publicHalf(privateKey, candidates) {
  for (const candidate of candidates) {
    if (candidate && await keyPairMatches(privateKey, candidate)) return candidate;
  }
  return null;
}

function submitting(evt, work) {
  evt.preventDefault();
  return run(evt.target, work);
}

// Run a banner form's work with its buttons disabled, saying plainly what went wrong.
async function run(form, work) {
  const error = form.querySelector(".form-error");
  const buttons = form.querySelectorAll("button");
  error.textContent = "";
  buttons.forEach((button) => { button.disabled = true; });
  try {
    await work(form);
    form.reset();
  } catch (err) {
    error.textContent = err instanceof WrongPassphrase || err instanceof Refusal
      ? err.message : "That did not work. Reload the page and try again.";
  } finally {
    buttons.forEach((button) => { button.disabled = false; });
  }
}

async function postForm(url, fields) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
                                      headers: { "X-CSRF-Token": banner().dataset.csrf } });
  const data = await response.json();
  if (!response.ok) {
    throw new Refusal(Object.values(data.errors || {}).join(" ") || "The server refused the key.");
  }
  return data;
}

// The backup prompt is a nudge, not a nag: once a day, on the first page it shows on (again
// there, say after a reload), and always on the profile, where keys are managed.
function askedHereToday() {
  if (document.querySelector(".profile[data-key-prompt]")) return true;
  const name = `parley-e2e-banner-asked:${state.me}`;
  const today = new Date().toDateString();
  const [day, path] = (localStorage.getItem(name) || "").split("|");
  if (day === today && path !== location.pathname) return false;
  localStorage.setItem(name, today + "|" + location.pathname);
  return true;
}

function snoozeName() {
  return `parley-e2e-banner-snoozed:${state.me}`;
}

// The banner is in every signed-in page (data-behaviour="e2e-banner"): each page's shows.
// A banner restored from htmx's history cache carries the old one's data-wired, not its handlers.
register("e2e-banner", class KeyBanner {
  connect(b) {
    delete b.dataset.wired;
    start();
  }
});

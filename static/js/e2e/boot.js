// Keys without ceremony. On every page of a signed-in person this module makes sure the
// browser has a key for private messages:
// - nobody has a key yet: make one at once and publish its public half (no passphrase asked);
// - the key is not protected yet: a banner asks for a passphrase to back it up (dismissible:
//   it blocks nothing);
// - this browser lacks the person's key: the banner offers to restore it from the backup, or
//   to make a new one.
// Other modules wait for the keys with `keysReady()` and hear of new ones with
// `onKeysChanged()`. The page tells us the server's view in #e2e-banner's data attributes.

import { backUpIdentity, generateIdentity, preferredAlgorithm, unwrapPrivateKey, WrongPassphrase }
  from "./keys.js";
import { loadPrivateKeys, requestPersistence, savePrivateKey } from "./keystore.js";

const SNOOZE_MS = 24 * 3600 * 1000;
const listeners = new Set();
let state = null;      // {me, currentKeyId, backedUp, privateKeys: Map of key id -> CryptoKey}
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
  const privateKeys = await loadPrivateKeys(me);
  state = { me, currentKeyId, backedUp: b.dataset.backedUp === "true", privateKeys };
  if (currentKeyId === null) await makeKey();
  return state;
}

// Make a key pair here and publish it; it becomes the person's current key.
async function makeKey() {
  const identity = await generateIdentity(await preferredAlgorithm());
  const published = await postForm(banner().dataset.publishUrl,
    { algorithm: identity.algorithm, public_key: identity.publicKey });
  await savePrivateKey(state.me, published.id, identity.privateKey);
  state.privateKeys.set(published.id, identity.privateKey);
  state.currentKeyId = published.id;
  state.backedUp = false;
  await requestPersistence();
  changed();
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
  if (!have) wanted = "restore";
  else if (!state.backedUp && state.privateKeys.get(state.currentKeyId).extractable) wanted = "protect";
  // Only where private messages are read or written (a direct room, the private-messages
  // pages, the profile): anywhere else it would only push the page around.
  const matters = document.querySelector(".room.direct, [data-key-prompt]");
  b.hidden = wanted === null || snoozed || !matters;
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
  const algorithm = privateKey.algorithm.name === "X25519" ? "X25519" : "P-256";
  const { backup, privateKey: locked } = await backUpIdentity(privateKey, algorithm, passphrase);
  await postForm(`${banner().dataset.publishUrl}/${id}/backup`, backup);
  await savePrivateKey(state.me, id, locked);  // from now on only the non-extractable copy
  state.privateKeys.set(id, locked);
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
      await savePrivateKey(state.me, backup.id, key);
      state.privateKeys.set(backup.id, key);
      restored += 1;
    } catch (err) {
      if (!(err instanceof WrongPassphrase)) throw err;
    }
  }
  if (!restored) throw new WrongPassphrase();
  await requestPersistence();
  changed();
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

function snoozeName() {
  return `parley-e2e-banner-snoozed:${state.me}`;
}

document.addEventListener("htmx:afterSettle", start);
start();

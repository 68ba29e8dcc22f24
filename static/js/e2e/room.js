// A direct room in the browser: the only part of a private conversation that differs from a
// room. It loads the members' public keys, hands them to the reader (which opens every
// sealed message htmx puts on the page), shows safety numbers and who has no key yet, and
// gives the shared composer its seal step (setSealStep): it returns the form values with the
// text replaced by a sealed envelope, or null when it must not be sent (a member's key
// changed and was not confirmed, someone has no key, this browser lacks mine).

import { focusComposer, setSealStep, showComposerError } from "../composer.js";
import { keysReady, onKeysChanged } from "./boot.js";
import { sealForRoom } from "./envelope.js";
import { safetyNumber } from "./keys.js";
import { lastSeenKey, rememberSeenKey } from "./keystore.js";
import { useSession } from "./reader.js";

let current = null;  // {root, session}
let starting = Promise.resolve();  // the page's first key load (a send waits for it)

function rootEl() {
  return document.querySelector(".room.direct");
}

function init() {
  const root = rootEl();
  if (!root || root.dataset.e2eStarted) return;
  root.dataset.e2eStarted = "1";
  starting = start(root);
}

async function start(root) {
  show(root, "checking");
  try {
    const keys = await keysReady();
    if (!keys) return show(root, null);
    await refresh(root, keys);
  } catch {
    show(root, null);
    root.querySelector(".e2e-panel").append(notice("Private messages could not start. Reload the page."));
  }
}

// Fetch the members' keys again and bring the panel, the reader and the composer up to date.
async function refresh(root, keys) {
  const response = await fetch(root.dataset.keysUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`keys: ${response.status}`);
  const data = await response.json();
  const session = makeSession(root, keys, data);
  current = { root, session };
  await useSession(session, root);
  await showState(root, session);
  return session;
}

function makeSession(root, keys, data) {
  const byId = new Map();
  for (const [userId, person] of Object.entries(data.people)) {
    for (const key of person.keys) byId.set(key.id, { ...key, owner: userId });
  }
  const person = (userId) => data.people[String(userId)];
  return {
    me: String(keys.me), room: String(data.room_id), privateKeys: keys.privateKeys,
    myCurrent: byId.get(keys.currentKeyId) || null,
    members: data.members.map(String),
    others: data.members.map(String).filter((id) => id !== String(keys.me)),
    person, keyById: (id) => byId.get(Number(id)) || null,
    currentKeyOf: (userId) => { const p = person(userId); return p && p.current ? byId.get(p.current) : null; },
  };
}

// What the panel says, in order of what blocks sending.
async function showState(root, s) {
  await showSafetyNumbers(root, s);
  const missing = s.others.filter((id) => !s.currentKeyOf(id));
  if (!s.myCurrent || !s.privateKeys.has(s.myCurrent.id)) return show(root, "no-key-here");
  if (missing.length) {
    const names = missing.map((id) => s.person(id).username);
    root.querySelector(".missing-names").textContent =
      `${names.join(", ")} ${names.length === 1 ? "has" : "have"}`;
    return show(root, "missing-keys");
  }
  const changed = changedMembers(s);
  if (changed.length) return warnChanged(root, s, changed);
  for (const id of s.others) rememberSeenKey(s.me, id, s.currentKeyOf(id).id);  // trust on first use
  return show(root, null);
}

// Members whose current key is not the one this browser last saw for them.
function changedMembers(s) {
  return s.others.filter((id) => {
    const seen = lastSeenKey(s.me, id);
    const key = s.currentKeyOf(id);
    return key && seen !== null && seen !== key.id;
  });
}

function warnChanged(root, s, changed) {
  const names = changed.map((id) => s.person(id).username);
  root.querySelector(".changed-names").textContent =
    `${names.join(", ")}${names.length === 1 ? "'s key has changed" : ": their keys have changed"}`;
  root.querySelector(".safety").open = true;
  show(root, "key-changed");
  root.querySelector("[data-action=accept-keys]").onclick = () => {
    for (const id of s.others) rememberSeenKey(s.me, id, s.currentKeyOf(id).id);
    show(root, null);
    focusComposer();
  };
}

async function showSafetyNumbers(root, s) {
  const box = root.querySelector(".safety");
  const list = box.querySelector(".safety-numbers");
  const items = [];
  for (const id of s.others) {
    const theirs = s.currentKeyOf(id);
    if (!theirs || !s.myCurrent) continue;
    const li = document.createElement("li");
    li.dataset.userId = id;
    const name = document.createElement("span");
    name.className = "safety-name";
    name.textContent = s.person(id).username;
    const code = document.createElement("code");
    code.className = "safety-number";
    code.textContent = await safetyNumber(s.myCurrent.public_key, theirs.public_key);
    li.append(name, " ", code);
    items.push(li);
  }
  list.replaceChildren(...items);
  box.hidden = items.length === 0;
}

// The composer's seal step (called by static/js/composer.js for a form with data-sealed).
async function seal(values) {
  const root = rootEl();
  await starting;
  if (!root || !current || current.root !== root) {
    showComposerError("Private messages could not start. Reload the page.");
    return null;
  }
  const s = await refresh(root, await keysReady());
  const blocking = root.querySelector(".e2e-state:not([hidden])");
  if (blocking && blocking.dataset.state !== "checking") return null;  // the panel says why
  const mine = s.myCurrent;
  const recipients = s.members.map((id) => s.currentKeyOf(id));
  const envelope = await sealForRoom({
    text: values.body, myPrivateKey: s.privateKeys.get(mine.id), mine, recipients,
    context: { room: s.room, clientMsgId: values.client_msg_id, senderId: s.me },
  });
  const sealedValues = { client_msg_id: values.client_msg_id, envelope: JSON.stringify(envelope) };
  if (values.reply_to) sealedValues.reply_to = values.reply_to;  // an id, not text: sent as is
  return sealedValues;
}

function show(root, state) {
  root.querySelectorAll(".e2e-state").forEach((el) => { el.hidden = el.dataset.state !== state; });
}

function notice(text) {
  const p = document.createElement("p");
  p.className = "notice";
  p.textContent = text;
  return p;
}

setSealStep(seal);
// A member's new key (pushed as #room-<id>-key-notice), a refusal for stale keys, or a key
// made or restored in this browser: fetch the keys again.
document.addEventListener("htmx:load", (evt) => {
  const root = rootEl();
  if (root && current && evt.detail.elt.classList && evt.detail.elt.classList.contains("key-notice")) {
    keysReady().then((keys) => refresh(root, keys));
  }
});
document.body.addEventListener("parley:keys-changed", () => {
  const root = rootEl();
  if (root && current) keysReady().then((keys) => refresh(root, keys));
});
onKeysChanged((keys) => {
  const root = rootEl();
  if (root && current) refresh(root, keys);
});
document.addEventListener("htmx:afterSettle", init);
init();

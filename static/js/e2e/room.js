// A direct room in the browser: the only part of a private conversation that differs from a
// room. It loads the members' public keys, hands them to the reader (which opens every
// sealed message htmx puts on the page), shows safety numbers and who has no key yet, and
// gives the shared composer its seal step (setSealStep): it returns the form values with the
// text replaced by a sealed envelope, or null when it must not be sent (a member's key is not
// one this browser accepted, someone has no key, this browser lacks mine). A chosen file is
// encrypted and uploaded first (static/js/e2e/files.js); its key goes into the sealed text.
//
// Keys are pinned by fingerprint, not by id: the first key seen for a contact is accepted
// (trust on first use); any other key material, whatever id the server gives it, blocks
// sending until the person accepts it after comparing safety numbers. My own public key, in
// safety numbers and in what I seal, is the one this browser holds, never the server's copy.

import { register } from "../behaviours.js";
import { focusComposer, setSealStep, showComposerError } from "../composer.js";
import { checkOwnKey, keysReady, onKeysChanged } from "./boot.js";
import { sealForRoom } from "./envelope.js";
import { bodyWithFiles, encryptAndUpload } from "./files.js";
import { fingerprint, safetyCode, safetyNumber } from "./keys.js";
import { forgetSeenKey, lastSeenKey, loadPin, savePin } from "./keystore.js";
import { openQrVerification } from "./qr_verify.js";
import { useSession } from "./reader.js";

let current = null;  // {root, session}
let starting = Promise.resolve();  // the page's first key load (a send waits for it)
let pinWrites = Promise.resolve();  // pins being saved (a read of the pins waits for them)

function rootEl() {
  return document.querySelector(".room.direct");
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
  let data = await fetchKeys(root);
  const served = data.people[String(keys.me)];
  const myServed = served && served.current
    ? served.keys.find((k) => k.id === served.current) : null;
  if (myServed && await checkOwnKey(myServed.id, myServed.public_key)) data = await fetchKeys(root);
  const session = makeSession(root, keys, data);
  session.announced = announcedMembers(root, session);
  current = { root, session };
  await useSession(session, root);
  session.blocked = await showState(root, session);  // what this refresh found, not the DOM's
  return session;
}

async function fetchKeys(root) {
  const response = await fetch(root.dataset.keysUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`keys: ${response.status}`);
  return response.json();
}

function makeSession(root, keys, data) {
  const byId = new Map();
  for (const [userId, person] of Object.entries(data.people)) {
    for (const key of person.keys) byId.set(key.id, { ...key, owner: userId });
  }
  const me = String(keys.me);
  // my keys as this browser holds them, whatever the server says is behind their ids
  for (const [id, mine] of keys.publicKeys) byId.set(id, { ...mine, owner: me });
  const person = (userId) => data.people[String(userId)];
  const pins = new Map();  // contact id -> promise of their pin (read once per session)
  const pinOf = (userId) => {
    if (!pins.has(userId)) pins.set(userId, pinWrites.then(() => loadPin(me, userId)));
    return pins.get(userId);
  };
  return {
    me, room: String(data.room_id), privateKeys: keys.privateKeys,
    // Whether a message from `userId` sealed with `key` came with a key of theirs this browser
    // has not accepted (never for a contact it has not met yet, nor for me)
    unacceptedSender: async (userId, key) => {
      if (String(userId) === me) return false;
      const pin = await pinOf(String(userId));
      return Boolean(pin) && !pin.fingerprints.includes(await fingerprint(key.public_key));
    },
    myCurrent: keys.publicKeys.get(keys.currentKeyId) || null,
    members: data.members.map(String),
    others: data.members.map(String).filter((id) => id !== String(keys.me)),
    person, keyById: (id) => byId.get(Number(id)) || null,
    currentKeyOf: (userId) => { const p = person(userId); return p && p.current ? byId.get(p.current) : null; },
  };
}

// What the panel says, in order of what blocks sending.
async function showState(root, s) {
  const pins = await pinsOf(s);
  await showSafetyNumbers(root, s, pins);
  const missing = s.others.filter((id) => !s.currentKeyOf(id));
  if (!s.myCurrent || !s.privateKeys.has(s.myCurrent.id)) return show(root, "no-key-here");
  if (missing.length) {
    const names = missing.map((id) => s.person(id).username);
    root.querySelector(".missing-names").textContent =
      `${names.join(", ")} ${names.length === 1 ? "has" : "have"}`;
    return show(root, "missing-keys");
  }
  const unannounced = s.others.filter((id) => !s.announced.has(id));
  if (unannounced.length) {
    const names = unannounced.map((id) => s.person(id).username);
    root.querySelector(".unannounced-names").textContent =
      `${names.join(", ")} ${names.length === 1 ? "is" : "are"}`;
    return show(root, "unannounced");
  }
  const changed = s.others.filter((id) => pins.has(id) && !pins.get(id).accepted);
  if (changed.length) return warnChanged(root, s, changed, pins);
  return show(root, null);
}

// For each other member with a key: {pin, fingerprint, accepted, verified} of the key the
// server serves as theirs now.
async function pinsOf(s) {
  await pinWrites;
  const pins = new Map();
  for (const id of s.others.filter((other) => s.announced.has(other))) {
    const key = s.currentKeyOf(id);
    if (!key) continue;
    const fp = await fingerprint(key.public_key);
    const pin = await loadPin(s.me, id) || await firstPin(s, id, key);
    pins.set(id, { pin, fingerprint: fp, accepted: pin.fingerprints.includes(fp),
                   verified: pin.verified === fp });
  }
  return pins;
}

// The members this browser seals for: those it met with the conversation (the first time it
// opened it: trust on first use) and those whose "… added …" notice it has shown since
// (.member-notice in the timeline, from the page, a catch-up or the socket). A member the
// server lists without such a notice blocks sending (the "unannounced" panel) instead of
// quietly receiving the next message. Kept per person and conversation in localStorage.
function announcedMembers(root, s) {
  const storeKey = `parley:e2e:members:${s.me}:${s.room}`;
  let known = null;
  try { known = JSON.parse(localStorage.getItem(storeKey)); } catch { known = null; }
  const noticed = Array.from(root.querySelectorAll(".member-notice[data-notice=member_added]"),
    (el) => el.dataset.userId);
  const current = new Set(s.members);
  const announced = Array.isArray(known)
    ? new Set([...known.map(String), ...noticed].filter((id) => current.has(id)))
    : current;  // the first time this browser opens the conversation
  announced.add(s.me);
  try { localStorage.setItem(storeKey, JSON.stringify([...announced])); } catch { /* kept for this page only */ }
  return announced;
}

// The first pin for a contact: the keys this browser trusted before pins existed (those the
// server serves under the id it last saw and the ids before it), or else the keys served now,
// their current one and the older ones their earlier messages name (trust on first use).
async function firstPin(s, id, current) {
  const seen = lastSeenKey(s.me, id);
  const upTo = seen === null ? current.id : seen;
  const trusted = (s.person(id).keys || []).filter((key) => key.id <= upTo)
    .map((key) => s.keyById(key.id)).filter((key) => key && key.owner === id);
  const pin = { me: s.me, peer: id, verified: null,
                fingerprints: await Promise.all(trusted.map((key) => fingerprint(key.public_key))) };
  await writePin(pin);
  if (seen !== null) forgetSeenKey(s.me, id);
  return pin;
}

function warnChanged(root, s, changed, pins) {
  const names = changed.map((id) => `${s.person(id).username}'s key changed`);
  root.querySelector(".changed-names").textContent = `${names.join(", ")}: verify before sending.`;
  const wasVerified = changed.filter((id) => pins.get(id).pin.verified);
  const warning = root.querySelector("[data-state=key-changed]");
  warning.classList.toggle("danger", wasVerified.length > 0);
  warning.querySelector(".was-verified").hidden = wasVerified.length === 0;
  warning.querySelector(".verified-names").textContent =
    wasVerified.map((id) => s.person(id).username).join(", ");
  const accept = warning.querySelector("[data-action=accept-keys]");
  accept.textContent = wasVerified.length ? "I have compared the new safety numbers again"
    : "I have compared the safety numbers";
  root.querySelector(".safety").open = true;
  accept.onclick = () => {
    const writes = changed.map((id) => {
      const { pin, fingerprint: fp } = pins.get(id);
      // accepting a changed key ends a verification: it was of another key
      return writePin({ ...pin, fingerprints: [...pin.fingerprints, fp], verified: null });
    });
    show(root, null);
    focusComposer();  // a send from here on reads the pins after these writes
    Promise.all(writes).then(() => pinsOf(s)).then((next) => showSafetyNumbers(root, s, next));
  };
  return show(root, "key-changed");
}

// Save a pin after those being saved; reads of the pins (pinsOf) wait for all of them.
function writePin(pin) {
  const write = pinWrites.then(() => savePin(pin));
  pinWrites = write.catch(() => {});
  return write;
}

// One safety number per other member, from my key as this browser holds it and the key the
// server serves as theirs now (the one a message would be sealed to): if the server swapped
// either, the two people's numbers differ.
async function showSafetyNumbers(root, s, pins) {
  const box = root.querySelector(".safety");
  const list = box.querySelector(".safety-numbers");
  const items = [];
  for (const id of s.others) {
    const theirs = s.currentKeyOf(id);
    if (!theirs || !s.myCurrent || !pins.has(id)) continue;
    const li = document.createElement("li");
    li.dataset.userId = id;
    const name = document.createElement("span");
    name.className = "safety-name";
    name.textContent = s.person(id).username;
    const code = document.createElement("code");
    code.className = "safety-number";
    code.textContent = await safetyNumber(s.myCurrent.public_key, theirs.public_key);
    li.append(name, " ", code, " ", trustMark(s, id, pins.get(id)));
    items.push(li);
  }
  list.replaceChildren(...items);
  box.hidden = items.length === 0;
  showVerifiedMark(root, s, pins);
}

function trustMark(s, id, trust) {
  if (!trust.accepted) return tag("span", "trust new-key", "new key, not accepted");
  const markVerified = async () => {
    await writePin({ ...trust.pin, verified: trust.fingerprint });
    await showState(rootEl(), s);
  };
  const qr = tag("button", "link-button verify-qr", "Verify by QR code");
  qr.type = "button";
  qr.title = "Face to face: show your code and scan theirs";
  qr.onclick = async () => {
    const code = await safetyCode(s.myCurrent.public_key, s.currentKeyOf(id).public_key);
    openQrVerification({ name: s.person(id).username, code, onMatch: markVerified });
  };
  const marks = document.createElement("span");
  marks.className = "trust-actions";
  if (trust.verified) {
    marks.append(tag("span", "trust verified", "✓ verified"), " ", qr);
    return marks;
  }
  const button = tag("button", "link-button mark-verified", "Mark as verified");
  button.type = "button";
  button.title = "After comparing this number with them in person or on a call";
  button.onclick = markVerified;
  marks.append(button, " · ", qr);
  return marks;
}

// In the header: "✓ verified" once every other member's current key is one I verified.
function showVerifiedMark(root, s, pins) {
  const heading = root.querySelector("h1");
  if (!heading) return;
  const all = s.others.length > 0 && s.others.every((id) => pins.has(id) && pins.get(id).verified);
  const mark = heading.querySelector(".verified-mark");
  if (mark && !all) mark.remove();
  if (mark || !all) return;
  const added = tag("span", "verified-mark", "✓ verified");
  added.title = "You compared safety numbers with everyone here";
  heading.append(added);
}

function tag(name, className, text) {
  const el = document.createElement(name);
  el.className = className;
  el.textContent = text;
  return el;
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
  // Decided from this send's own fetch of the keys (another refresh may redraw the panel)
  if (s.blocked) {
    show(root, s.blocked);  // the panel says why
    return null;
  }
  const mine = s.myCurrent;
  const recipients = s.members.map((id) => (id === s.me ? mine : s.currentKeyOf(id)));
  let files = [];
  if (values.image) {
    try {
      files = [await encryptAndUpload(values.image, uploadBlob)];
    } catch (err) {
      showComposerError(err instanceof UploadRefused ? err.message
        : "The file could not be encrypted and sent. Nothing was sent; try again.");
      return null;
    }
  }
  const envelope = await sealForRoom({
    text: bodyWithFiles(values.body, files), myPrivateKey: s.privateKeys.get(mine.id), mine,
    recipients,
    context: { room: s.room, clientMsgId: values.client_msg_id, senderId: s.me },
  });
  const sealedValues = { client_msg_id: values.client_msg_id, envelope: JSON.stringify(envelope) };
  if (values.reply_to) sealedValues.reply_to = values.reply_to;  // an id, not text: sent as is
  return sealedValues;
}

class UploadRefused extends Error {}

// Upload one encrypted blob for this room; its key on the server, or UploadRefused saying why.
async function uploadBlob(bytes) {
  const composer = document.getElementById("composer");
  const input = composer.querySelector("input[data-sealed-file]");
  const token = composer.querySelector("input[name=csrf_token]").value;
  const form = new FormData();
  form.append("blob", new Blob([bytes], { type: "application/octet-stream" }), "blob");
  const response = await fetch(input.dataset.uploadUrl, {
    method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRF-Token": token },
  });
  const answer = await response.json().catch(() => ({}));
  if (response.status !== 201 || !answer.key) {
    throw new UploadRefused(answer.error || `The file was not sent (error ${response.status}).`);
  }
  return answer.key;
}

// Show the panel part for `state` (null: none); returns `state`.
function show(root, state) {
  root.querySelectorAll(".e2e-state").forEach((el) => { el.hidden = el.dataset.state !== state; });
  return state;
}

function notice(text) {
  const p = document.createElement("p");
  p.className = "notice";
  p.textContent = text;
  return p;
}

setSealStep(seal);
// A member's new key (pushed as #room-<id>-key-notice), a member's arrival ("… added …" in
// the timeline), a refusal for stale keys, or a key made or restored in this browser: fetch
// the keys again.
document.addEventListener("htmx:load", (evt) => {
  const root = rootEl();
  const elt = evt.detail.elt;
  const announcement = elt.matches && (elt.matches(".member-notice") || elt.querySelector(".member-notice"));
  if (root && current && elt.classList && (elt.classList.contains("key-notice") || announcement)) {
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
// A direct room's page (data-behaviour="e2e-room" on its .room) starts with its members' keys.
register("e2e-room", class PrivateRoom {
  connect(root) { starting = start(root); }
});

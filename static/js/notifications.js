// Browser notifications, opt-in by the button in the sidebar (nothing asks on page load).
// While this tab is hidden, a message by someone else notifies when it is private, or when my
// involvement in its room wants it (everything; mentions, and it mentions me: the sidebar's
// link says which; a room not listed there is invisible or not mine); clicking it brings this
// tab to that conversation. The decision uses only data on the frame (author, mentions, kind),
// since fragments are the same for everyone. An optional chime is synthesized with WebAudio.
// The same button subscribes this device to Web Push, for when no Parley tab is open.
// Logging out unsubscribes it again (the server also forgets it with the session), and turns
// notifications off in this browser, so the next person here gets nothing of the last one's.
// The sidebar's control and its menu copy (data-behaviour="notify-control"), each pushed notice
// (data-behaviour="notice") are behaviours; new messages, the logout hook and the audio
// unlock are once per tab.

import { register } from "./behaviours.js";
import { csrfToken } from "./page.js";

const PREF = "parley.notifications";        // "on" once the person turned them on here
const SOUND = "parley.notificationSound";   // "on" when they want the chime
const DECRYPT_WAIT_MS = 3000;               // a private message's text, if this tab can read it in time
const SUBSCRIBE_WAIT_MS = 10000;            // a push service that never answers must not hang the button
const LOGOUT_WAIT_MS = 3000;                // nor hold up logging out
const notified = new Set();                 // element ids already notified (a message may arrive twice)
let audio = null;

export function supported() {
  return "Notification" in window;
}

export function enabled() {
  return supported() && Notification.permission === "granted" && localStorage.getItem(PREF) === "on";
}

// Whether a message with this data deserves a notification for me (visibility aside).
export function wanted(info, me) {
  if (!info.authorId || info.authorId === me.id) return false;
  if (info.kind === "direct") return true;
  const link = document.querySelector(`#sidebar a[data-room-id="${info.roomId}"]`);
  const involvement = link ? link.dataset.involvement : "nothing";
  if (involvement === "everything") return true;
  return involvement === "mentions" && info.mentions.split(" ").includes(me.name);
}

// The sidebar's control (#notify-control), and the same switch in a room header's menu.
function control() { return document.getElementById("notify-control"); }
function controls() { return document.querySelectorAll(".notify-control"); }

function me() {
  const c = control();
  return c ? { id: c.dataset.me, name: c.dataset.meName } : null;
}

// A notice frame is only a hint for this tab; nothing shows it.
register("notice", class Notice {
  connect(node) {
    const d = node.dataset;
    node.remove();
    maybeNotify({ key: `${d.tag}-${d.authorId}-${Date.now()}`, authorId: d.authorId, mentions: d.mentions,
      kind: d.kind, roomId: d.roomId, title: d.title, text: d.text, url: d.url, tag: d.tag });
  }
});

function considerMessage(node) {
  if (!(node instanceof Element) || !node.matches(".room .messages .message[data-author-id]:not(.member-notice)")) return;
  const room = node.closest(".room");
  const author = node.querySelector(".author");
  const name = author ? author.textContent.trim() : "someone";
  const direct = room.dataset.kind === "direct";
  maybeNotify({ key: node.id, authorId: node.dataset.authorId, mentions: node.dataset.mentions || "",
    kind: room.dataset.kind, roomId: room.dataset.roomId,
    title: direct ? name : `${name} in #${room.dataset.roomName}`,
    text: direct ? null : bodyText(node) || "sent an image", node,
    fallback: `New private message from ${name}`,
    url: location.pathname, tag: `room-${room.dataset.roomId}` });
}

async function maybeNotify(info) {
  const who = me();
  if (!who || !enabled() || document.visibilityState !== "hidden") return;
  if (notified.has(info.key) || !wanted(info, who)) return;
  notified.add(info.key);
  const text = info.text !== null ? info.text : await decryptedText(info.node, info.fallback);
  const notification = new Notification(info.title, {
    body: text, tag: info.tag, icon: "/static/icons/icon-192.png",
  });
  notification.onclick = () => {
    window.focus();
    if (location.pathname !== info.url) location.assign(info.url);
    notification.close();
  };
  if (localStorage.getItem(SOUND) === "on") chime();
}

function bodyText(node) {
  const body = node.querySelector(".body");
  const text = body ? body.textContent.replace(/\s+/g, " ").trim() : "";
  return text.length > 200 ? text.slice(0, 199) + "…" : text;
}

// A private message's words appear only if this tab decrypted it (e2e/reader.js marks it).
function decryptedText(node, fallback) {
  const read = () => (node.dataset.decrypted === "yes" ? bodyText(node) || fallback : null);
  const settled = node.dataset.decrypted && node.dataset.decrypted !== "pending";
  if (read() !== null || settled) return Promise.resolve(read() || fallback);
  return new Promise((resolve) => {
    const done = () => { observer.disconnect(); clearTimeout(timer); resolve(read() || fallback); };
    const observer = new MutationObserver(() => { if (node.dataset.decrypted !== "pending") done(); });
    const timer = setTimeout(done, DECRYPT_WAIT_MS);
    observer.observe(node, { attributes: true, attributeFilter: ["data-decrypted"] });
  });
}

// A short two-note chime, made here rather than shipped as a sound file.
function chime() {
  audio = audio || new AudioContext();
  const now = audio.currentTime;
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.type = "sine";
  tone.frequency.setValueAtTime(880, now);
  tone.frequency.setValueAtTime(660, now + 0.12);
  gain.gain.setValueAtTime(0.0001, now);
  gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.35);
  tone.connect(gain).connect(audio.destination);
  tone.start(now);
  tone.stop(now + 0.4);
}

function unlockAudio() {  // browsers start audio only after a gesture on the page
  audio = audio || new AudioContext();
  audio.resume().catch(() => {});
}

function setStatus(c, text) { c.querySelector(".notify-status").textContent = text; }

function renderAll() { controls().forEach(render); }

function render(c) {
  const on = enabled();
  const button = c.querySelector(".notify-toggle");
  button.textContent = on ? "Turn off notifications" : "Turn on notifications";
  button.setAttribute("aria-pressed", on ? "true" : "false");
  c.querySelector(".notify-sound").checked = localStorage.getItem(SOUND) === "on";
  if (Notification.permission === "denied") {
    setStatus(c, "This browser blocks Parley's notifications; allow them in its site settings.");
  }
}

async function turnOn(c) {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    renderAll();
    setStatus(c, "Notifications were not allowed. Allow them in the browser's site settings, then try again.");
    return;
  }
  localStorage.setItem(PREF, "on");
  renderAll();
  setStatus(c, "Notifications are on while Parley is open in this browser.");
  try {
    await subscribePush(c);
    setStatus(c, "Notifications are on, and this device gets pushes when Parley is closed.");
  } catch (error) {
    setStatus(c, "Notifications are on while Parley is open; pushes to this device are unavailable (" +
      (error && error.message ? error.message : error) + ").");
  }
}

async function turnOff(c) {
  localStorage.setItem(PREF, "off");
  renderAll();
  setStatus(c, "Notifications are off in this browser.");
  // The push service answers 410 to Parley's next push, and Parley then forgets the device.
  await unsubscribeThisDevice();
}

async function unsubscribeThisDevice() {
  const registration = "serviceWorker" in navigator && await navigator.serviceWorker.getRegistration();
  const subscription = registration && registration.pushManager && await registration.pushManager.getSubscription();
  if (subscription) await subscription.unsubscribe().catch(() => {});
}

// Before the logout form goes (and before htmx sees it: capture phase), unsubscribe this
// browser from Web Push, then send the form on as it would have gone.
const loggingOut = new WeakSet();
document.addEventListener("submit", async (evt) => {
  const form = evt.target;
  if (!(form instanceof HTMLFormElement) || !/\/logout$/.test(form.getAttribute("action") || "")) return;
  if (loggingOut.has(form)) return;
  evt.preventDefault();
  evt.stopImmediatePropagation();
  loggingOut.add(form);
  localStorage.setItem(PREF, "off");
  await within(unsubscribeThisDevice(), "unsubscribing took too long", LOGOUT_WAIT_MS).catch(() => {});
  form.requestSubmit();
}, true);

// Subscribe this browser to Web Push and tell Parley where to send (throws with the reason).
export async function subscribePush(c) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) throw new Error("no Web Push in this browser");
  if (!c.dataset.pushKey) throw new Error("the server has no push key");
  await navigator.serviceWorker.register("/sw.js");
  const registration = await within(navigator.serviceWorker.ready, "the service worker did not start");
  const subscription = await registration.pushManager.getSubscription() || await within(
    registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(c.dataset.pushKey) }),
    "the push service did not answer");
  const keys = subscription.toJSON().keys || {};
  const form = new FormData();
  form.append("endpoint", subscription.endpoint);
  form.append("p256dh", keys.p256dh || "");
  form.append("auth", keys.auth || "");
  const response = await fetch(c.dataset.subscribeUrl, {
    method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() },
  });
  if (!response.ok) throw new Error(`Parley refused the subscription (${response.status})`);
}

function within(promise, reason, ms = SUBSCRIBE_WAIT_MS) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(reason)), ms))]);
}

function bytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

// The opt-in in the sidebar, and its copy in a room header's menu: shown where the browser
// has notifications; each switch redraws all of them, so they stay in step.
register("notify-control", class NotifyControl {
  connect(c) {
    if (!supported()) return;
    c.hidden = false;
    render(c);
    c.querySelector(".notify-toggle").addEventListener("click", () => (enabled() ? turnOff(c) : turnOn(c)));
    c.querySelector(".notify-sound").addEventListener("change", (evt) => {
      localStorage.setItem(SOUND, evt.target.checked ? "on" : "off");
      if (evt.target.checked) unlockAudio();
      renderAll();
    });
  }
});

htmx.onLoad(considerMessage);
document.addEventListener("pointerdown", () => { if (localStorage.getItem(SOUND) === "on") unlockAudio(); }, { once: true });

// Live updates around htmx's WebSocket extension, once per tab (a module runs once, so there
// is exactly one poller however many pages a boosted session visits):
// - on every (re)connect, once the server says the socket hears the room (its first frame,
//   #live-ready), fetch what the page missed: GET <room>/messages?after=<last seq>;
// - a discreet "Reconnecting…" while the socket is down, and a retry every second or two
//   (never the extension's default back-off, which grows to a minute while a server restarts),
//   and at once when the network comes back or a hidden tab is shown again;
// - closed because this person opened too many tabs (4029, the oldest goes): a notice saying
//   so and a button to reconnect here, never a reconnect loop between the tabs;
// - without WebSockets (or while they fail), poll the same catch-up URL every few seconds;
// - typing pings (at most one a second) and read marks go up the socket.
// The page's socket element (data-behaviour="live") is a behaviour: when a boosted navigation
// replaces it, the socket it opened is forgotten. Everything else here is once per tab.

import { connectAdded, register } from "./behaviours.js";
import { contiguousSeq } from "./message_list.js";
import { listEl, roomEl } from "./page.js";

const POLL_MS = 4000;
const CATCH_UP_PAGE = 200;
const TYPING_EVERY_MS = 1000;
const RETRY_MAX_MS = 2000;  // a tab is back within about this long of the server answering
const CLOSE_TOO_MANY_SOCKETS = 4029;  // app/realtime/close_codes.py
let socket = null;        // the extension's socket wrapper while open
let lastTyping = 0;
let readTimer = null;
let catchingUp = false;

// The extension calls this before each reconnect attempt: 0.5 s, 1 s, then every 2 s, each
// with up to a quarter of jitter so the tabs of a restarted server do not all come at once.
htmx.config.wsReconnectDelay = (retryCount) => {
  const base = Math.min(500 * 2 ** retryCount, RETRY_MAX_MS);
  return base * (0.75 + Math.random() / 4);
};

function liveRoom() { const r = roomEl(); return r && r.dataset.catchUp ? r : null; }

// Fill the gap after the newest message on the page, page by page, once at a time.
async function catchUp() {
  const r = liveRoom();
  if (!r || catchingUp) return;
  catchingUp = true;
  try {
    for (let pages = 0; pages < 50; pages++) {
      const before = contiguousSeq();
      const list = listEl();
      await htmx.ajax("GET", r.dataset.catchUp + "?after=" + before + "&changes=" + (list.dataset.changeSeq || 0),
        { target: "#" + list.id, swap: "beforeend" });
      if (contiguousSeq() - before < CATCH_UP_PAGE) break;
    }
  } finally {
    catchingUp = false;
  }
  scheduleRead();
}

function setStatus(connected) {
  const status = document.getElementById("connection-status");
  if (status) status.hidden = connected;
  document.documentElement.dataset.live = socket ? "open" : "closed";
}

function send(message) {
  if (socket) socket.send(JSON.stringify(message));
}

/** Tell the room I am typing (at most once a second; only over an open socket). */
export function typing() {
  const now = Date.now();
  if (now - lastTyping < TYPING_EVERY_MS) return;
  lastTyping = now;
  send({ type: "typing" });
}

// Mark what this tab has shown as read: over the socket when it is open, else by POST
// (the page itself is a GET and writes nothing). Only ever forward, once per seq.
function scheduleRead() {
  const r = liveRoom();
  if (document.visibilityState !== "visible" || !r || !r.dataset.readMarker) return;
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    const seq = contiguousSeq();
    if (!seq || seq <= Number(r.dataset.readSeq || 0)) return;
    r.dataset.readSeq = String(seq);
    if (socket) send({ type: "read", seq });
    else htmx.ajax("POST", r.dataset.readMarker, { values: { seq }, swap: "none" });
  }, 800);
}


// This tab was the oldest of too many: say so, and let the person take the live updates back
// here (which closes their oldest other tab in turn). Until then the poller keeps it current.
function showDisplaced(wrapper) {
  hideDisplaced();
  const notice = document.createElement("p");
  notice.id = "live-displaced";
  notice.className = "live-displaced";
  notice.setAttribute("role", "status");
  notice.textContent = "Parley is open in too many tabs, so this one stopped getting live updates. ";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Reconnect";
  button.addEventListener("click", () => { hideDisplaced(); wrapper.reconnect(); });
  notice.append(button);
  (document.getElementById("main") || document.body).prepend(notice);
}

function hideDisplaced() {
  const notice = document.getElementById("live-displaced");
  if (notice) notice.remove();
}

document.addEventListener("htmx:wsOpen", (evt) => {
  socket = evt.detail.socketWrapper;
  hideDisplaced();
  setStatus(true);
});
// Catch up on the socket's "ready" frame, not on open: a message committed after the
// catch-up's read but before the server routed the room to this socket would reach neither.
document.addEventListener("htmx:wsAfterMessage", (evt) => {
  const message = evt.detail.message;
  if (typeof message === "string" && message.includes('id="live-ready"')) catchUp();
  else scheduleRead();
});
document.addEventListener("htmx:wsClose", (evt) => {
  if (socket && evt.detail.socketWrapper !== socket) return;  // an older page's socket
  socket = null;
  // 1008: refused (logged out, wrong origin) — the poller and reloads take over.
  setStatus(!liveRoom() || !document.body.contains(evt.detail.elt));
  if (evt.detail.event.code === CLOSE_TOO_MANY_SOCKETS && document.body.contains(evt.detail.elt)) {
    setStatus(true);  // not "Reconnecting…": it will not, until asked
    showDisplaced(evt.detail.socketWrapper);
  }
});
// The catch-up reply says how far the room's changes went (see app/blueprints/messages.py).
document.addEventListener("htmx:afterRequest", (evt) => {
  const seen = evt.detail.xhr && evt.detail.xhr.getResponseHeader("X-Parley-Change-Seq");
  const list = listEl();
  if (seen && list && evt.detail.successful) {
    list.dataset.changeSeq = String(Math.max(Number(list.dataset.changeSeq || 0), Number(seen)));
  }
});
// Back from a hidden tab or a lost network: reconnect at once rather than when the pending
// retry fires (a hidden tab's timers are throttled, up to a minute), and fetch what was missed
// over HTTP meanwhile; the page catches up again when the socket says it is ready.
const handedOver = new WeakSet();  // socket elements reconnectNow replaced: still "Reconnecting…"

function reconnectNow() {
  const live = document.getElementById("live");
  if (socket || !live || !live.getAttribute("ws-connect") || document.getElementById("live-displaced")) return;
  // A fresh element gets a fresh socket; the old one's pending retry finds its element gone and
  // closes whatever it opens (htmx-ws checks that on the socket's first frame).
  const fresh = live.cloneNode(false);
  handedOver.add(live);
  live.replaceWith(fresh);
  htmx.process(fresh);
  connectAdded(fresh);  // the fresh element is this page's socket element from now on
}

function comeBack() {
  if (socket) return;
  reconnectNow();
  catchUp();
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") { scheduleRead(); comeBack(); }
});
window.addEventListener("online", comeBack);
// The extension closes the element's socket as htmx cleans the element up; its close event
// comes later, when the next page's socket may be open already (see htmx:wsClose above).
register("live", class LiveSocket {
  connect(element) { this.element = element; }

  disconnect() {
    if (handedOver.has(this.element)) return;  // reconnectNow put a fresh one in its place
    socket = null;
    setStatus(true);  // <html data-live="closed"> until the next page's socket opens
  }
});

if (!("WebSocket" in window)) {
  // Leave the extension nothing to open; the poller below keeps the page current.
  document.querySelectorAll("[ws-connect]").forEach((el) => el.removeAttribute("ws-connect"));
}
setInterval(() => { if (!socket && liveRoom()) catchUp(); }, POLL_MS);

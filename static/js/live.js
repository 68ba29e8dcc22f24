// Parley live glue around htmx's WebSocket extension:
// - on every (re)connect, fetch what the socket missed: GET <room>/messages?after=<last seq>;
// - a discreet "Reconnecting…" while the socket is down;
// - without WebSockets (or while they fail), poll the same catch-up URL every few seconds;
// - typing pings (at most one a second) and read marks go up the socket.
(function () {
  "use strict";

  const POLL_MS = 4000;
  const CATCH_UP_PAGE = 200;
  let socket = null;        // the extension's socket wrapper while open
  let lastTyping = 0;
  let readTimer = null;
  let catchingUp = false;

  function room() { return document.querySelector(".room[data-catch-up]"); }
  function list() { const r = room(); return r && r.querySelector(".messages"); }

  // The newest seq up to which the page holds every message. A room's seqs have no holes, but
  // on the Redis bus two posts' frames may arrive in publish order rather than commit order, so
  // the largest seq shown can sit above one still on its way: catching up after the largest
  // would skip it if the socket dropped in between.
  function lastSeq() {
    const l = list();
    if (!l) return 0;
    const seqs = Array.from(l.querySelectorAll(".message[data-seq]"), (m) => Number(m.dataset.seq))
      .sort((a, b) => a - b);
    let last = seqs.length ? seqs[0] : 0;
    for (const seq of seqs) {
      if (seq > last + 1) break;
      last = seq;
    }
    return last;
  }

  // Fill the gap after the newest message on the page, page by page, once at a time.
  async function catchUp() {
    const r = room();
    if (!r || catchingUp) return;
    catchingUp = true;
    try {
      for (let pages = 0; pages < 50; pages++) {
        const before = lastSeq();
        await htmx.ajax("GET", r.dataset.catchUp + "?after=" + before + "&changes=" + (list().dataset.changeSeq || 0),
          { target: "#" + list().id, swap: "beforeend" });
        const added = lastSeq() - before;
        if (added < CATCH_UP_PAGE) break;
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

  // Mark what this tab has shown as read: over the socket when it is open, else by POST
  // (the page itself is a GET and writes nothing). Only ever forward, once per seq.
  function scheduleRead() {
    const r = room();
    if (document.visibilityState !== "visible" || !r || !r.dataset.readMarker) return;
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      const seq = lastSeq();
      if (!seq || seq <= Number(r.dataset.readSeq || 0)) return;
      r.dataset.readSeq = String(seq);
      if (socket) send({ type: "read", seq });
      else htmx.ajax("POST", r.dataset.readMarker, { values: { seq }, swap: "none" });
    }, 800);
  }

  if (!("WebSocket" in window)) {
    // Leave the extension nothing to open; the poller below keeps the page current.
    document.querySelectorAll("[ws-connect]").forEach((el) => el.removeAttribute("ws-connect"));
  }

  document.addEventListener("htmx:wsOpen", (evt) => {
    socket = evt.detail.socketWrapper;
    setStatus(true);
    catchUp();
  });
  document.addEventListener("htmx:wsClose", (evt) => {
    if (socket && evt.detail.socketWrapper !== socket) return;  // an older page's socket
    socket = null;
    // 1008: refused (logged out, wrong origin) — the poller and reloads take over.
    setStatus(!room() || !document.body.contains(evt.detail.elt));
  });
  // The catch-up reply says how far the room's changes went (see app/blueprints/messages.py).
  document.addEventListener("htmx:afterRequest", (evt) => {
    const seen = evt.detail.xhr && evt.detail.xhr.getResponseHeader("X-Parley-Change-Seq");
    const l = list();
    if (seen && l && evt.detail.successful) {
      l.dataset.changeSeq = String(Math.max(Number(l.dataset.changeSeq || 0), Number(seen)));
    }
  });
  document.addEventListener("htmx:wsAfterMessage", scheduleRead);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") { scheduleRead(); if (!socket) catchUp(); }
  });
  document.addEventListener("input", (evt) => {
    if (!evt.target.matches || !evt.target.matches(".composer textarea")) return;
    const now = Date.now();
    if (now - lastTyping >= 1000 && evt.target.value.trim()) {
      lastTyping = now;
      send({ type: "typing" });
    }
  });
  document.addEventListener("htmx:afterSettle", (evt) => {
    if (evt.detail.boosted || evt.detail.target === document.body) {
      socket = null;  // the page (and its socket element) was replaced
      setStatus(true);
    }
  });

  setInterval(() => { if (!socket && room()) catchUp(); }, POLL_MS);
  window.ParleyLive = { catchUp, lastSeq, isLive: () => socket !== null };
})();

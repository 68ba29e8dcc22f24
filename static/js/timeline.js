// Parley message-list niceties, all computed in this browser (fragments are the same for
// everyone, so "today", "5 min ago" and local dates can only be worked out here):
// - a day heading before the first message of each local day;
// - relative times ("just now", "5 min ago") for the last hour, local clock times after;
// - the view follows new messages at the bottom; scrolled up, a "new messages" pill appears
//   instead and jumps down when pressed.
(function () {
  "use strict";

  const MINUTE = 60 * 1000;
  let atBottom = true;
  let watched = null;

  function list() { return document.querySelector(".room .messages"); }
  function me() { const r = document.querySelector(".room"); return r && r.dataset.me; }
  function pill() { return document.getElementById("new-messages"); }

  function dayKey(date) { return date.getFullYear() + "-" + (date.getMonth() + 1) + "-" + date.getDate(); }

  function dayLabel(date) {
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (dayKey(date) === dayKey(today)) return "Today";
    if (dayKey(date) === dayKey(yesterday)) return "Yesterday";
    const sameYear = date.getFullYear() === today.getFullYear();
    return date.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long",
                                         year: sameYear ? undefined : "numeric" });
  }

  function messageDate(node) {
    const time = node.querySelector("time[datetime]");
    const when = time && new Date(time.getAttribute("datetime"));
    return when && !isNaN(when) ? when : null;
  }

  function relative(when) {
    const age = Date.now() - when.getTime();
    if (age < MINUTE) return "just now";
    if (age < 60 * MINUTE) return Math.floor(age / MINUTE) + " min ago";
    return when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function refreshTimes(root) {
    root.querySelectorAll(".message time[datetime]").forEach((el) => {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.textContent = relative(when);
      el.title = when.toLocaleString();
    });
  }

  // Keep exactly one heading before each day's first message, touching only what changed
  // (the list is a live region: a heading re-created on every message would be re-announced).
  function refreshDays() {
    const l = list();
    if (!l) return;
    let previous = null;
    const wanted = new Set();
    l.querySelectorAll(".message").forEach((node) => {
      const when = messageDate(node);
      if (!when) return;
      const key = dayKey(when);
      if (key !== previous) {
        let heading = node.previousElementSibling;
        if (!heading || !heading.classList.contains("day-separator") || heading.dataset.day !== key) {
          heading = document.createElement("h2");
          heading.className = "day-separator";
          heading.dataset.day = key;
          node.before(heading);
        }
        heading.textContent = dayLabel(when);
        wanted.add(heading);
      }
      previous = key;
    });
    l.querySelectorAll(".day-separator").forEach((h) => { if (!wanted.has(h)) h.remove(); });
  }

  function nearBottom(l) { return l.scrollHeight - l.scrollTop - l.clientHeight < 120; }

  function jumpDown() {
    const l = list();
    if (l) l.scrollTop = l.scrollHeight;
    const p = pill();
    if (p) p.hidden = true;
  }

  function watch() {
    const l = list();
    if (!l || l === watched) return;
    watched = l;
    atBottom = true;
    l.addEventListener("scroll", () => {
      atBottom = nearBottom(l);
      const p = pill();
      if (atBottom && p) p.hidden = true;
    }, { passive: true });
  }

  function setUp() {
    const l = list();
    if (!l) return;
    watch();
    refreshTimes(l);
    refreshDays();
  }

  document.addEventListener("htmx:load", (evt) => {
    const node = evt.detail.elt;
    const l = list();
    if (!l || !node.classList || !node.classList.contains("message") || !l.contains(node)) return;
    refreshTimes(node);
    refreshDays();
    const all = l.querySelectorAll(".message");
    if (all[all.length - 1] !== node) return;  // an older page, or a late one put in order
    const mine = me() && node.dataset.authorId === me();
    if (atBottom || mine) {
      requestAnimationFrame(jumpDown);
    } else if (pill()) {
      pill().hidden = false;
    }
  });
  document.addEventListener("htmx:afterSettle", setUp);
  document.addEventListener("click", (evt) => {
    if (evt.target.closest && evt.target.closest("#new-messages")) jumpDown();
  });
  setInterval(() => { const l = list(); if (l) { refreshTimes(l); refreshDays(); } }, MINUTE);

  setUp();
})();

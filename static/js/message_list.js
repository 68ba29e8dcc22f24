// The message list, the one owner of what is shown in it and where the view is:
// - every message exactly once and in seq order, whichever path delivered it (page, the
//   composer's reply, catch-up, socket); a second copy wins only if it is newer;
// - marks my own messages and mentions of me (fragments are the same for everyone), and
//   groups a run of messages by one author;
// - scrolling: start at the "New" divider (else at the newest), follow new messages (and
//   changes of the list's size) while at the bottom, keep the place when older messages are put above; scrolled up, a "New
//   messages" pill appears instead and jumps down when pressed.
// Pages change under hx-boost without reloading this module, so page state is looked up on
// demand; the list itself is a behaviour (data-behaviour="message-list") that connects with
// each page's list. The pill, the older-page anchoring and the clock are once per tab.

import { register } from "./behaviours.js";
import { listEl, myId, roomEl } from "./page.js";
import { refreshDays, refreshTimes, TIMELINE_REFRESH_MS } from "./timeline.js";

const FOLLOW_PX = 120;            // this close to the bottom counts as "at the bottom"
const GROUP_MS = 5 * 60 * 1000;   // same author within this long: one header for the run
let following = true;             // the view is at the bottom and follows new messages
let olderAnchor = null;           // distance from the bottom kept while older messages arrive
const handled = new WeakSet();    // messages already placed

function pill() { return document.getElementById("new-messages"); }

function nearBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < FOLLOW_PX;
}

/** Show the newest message and follow the ones after it. */
export function scrollToBottom() {
  const list = listEl();
  if (list) list.scrollTop = list.scrollHeight;
  following = true;
  const p = pill();
  if (p) p.hidden = true;
}

/** Mark what this viewer may see as theirs: own messages, mentions of them, their reactions. */
export function decorate(node) {
  const me = myId();
  const room = roomEl();
  if (me && node.dataset.authorId === me) node.classList.add("mine");
  // Edit/delete links are in every copy of the fragment; show them to who may use them
  // (the server checks again): the author, and the room's owner for deletion.
  if (me && room && room.dataset.ownerId === me) node.classList.add("can-manage");
  const myName = room && room.dataset.meName;
  node.querySelectorAll(".mention[data-username]").forEach((span) => {
    span.classList.toggle("mine", !!myName && span.dataset.username === myName);
  });
  node.querySelectorAll(".reaction[data-reactor-ids]").forEach((button) => {
    button.classList.toggle("mine", !!me && button.dataset.reactorIds.split(" ").includes(me));
    button.setAttribute("aria-pressed", button.classList.contains("mine") ? "true" : "false");
  });
}

// Density: a message by the same author within a few minutes of the one above it sits
// under that one's header (avatar and name once), as in Slack and Campfire. A deleted
// message's note stays in its author's run (app/rendering.py timeline() has the same rule).
function regroup(list) {
  let previous = null;
  list.querySelectorAll(".message").forEach((node) => {
    const time = Date.parse((node.querySelector(".message-meta time") || {}).dateTime || "");
    const continued = previous !== null
      && previous.author === node.dataset.authorId && time - previous.time < GROUP_MS
      && time >= previous.time;
    node.classList.toggle("continued", continued);
    previous = { node, author: node.dataset.authorId, time: continued ? previous.time : time };
  });
}

function seqOf(node) { return Number(node.dataset.seq); }

// Put a freshly swapped message where its seq says, and drop it if it is already shown.
// A second copy replaces the first only if it is newer (edits, deletions and reactions
// raise data-change-seq); a changed message older than the loaded history is left out.
// Returns whether the message is one the list did not show before.
function placeMessage(list, node) {
  const copies = Array.from(list.querySelectorAll('[id="' + node.id + '"]'));
  if (copies.length > 1) {
    const other = copies.find((m) => m !== node);
    if (Number(node.dataset.changeSeq || 0) > Number(other.dataset.changeSeq || 0)) {
      other.replaceWith(node);
      decorate(node);
    } else {
      node.remove();
    }
    return false;
  }
  const seq = seqOf(node);
  const others = Array.from(list.querySelectorAll(".message")).filter((m) => m !== node);
  if (list.querySelector(".older") && others.length && others.every((m) => seqOf(m) > seq)) {
    node.remove();
    return false;
  }
  const later = others.find((m) => seqOf(m) > seq);
  if (later && (node.compareDocumentPosition(later) & Node.DOCUMENT_POSITION_PRECEDING)) {
    list.insertBefore(node, later);
  }
  decorate(node);
  const empty = list.querySelector(".empty");
  if (empty) empty.remove();
  return !later;
}

/** The newest seq up to which the page holds every message. A room's seqs have no holes, but
 * on the Redis bus two posts' frames may arrive in publish order rather than commit order, so
 * the largest seq shown can sit above one still on its way: catching up after the largest
 * would skip it if the socket dropped in between. */
export function contiguousSeq() {
  const list = listEl();
  if (!list) return 0;
  const seqs = Array.from(list.querySelectorAll(".message[data-seq]"), seqOf).sort((a, b) => a - b);
  let last = seqs.length ? seqs[0] : 0;
  for (const seq of seqs) {
    if (seq > last + 1) break;
    last = seq;
  }
  return last;
}

// The room's list (data-behaviour="message-list"): where it starts, and following it.
register("message-list", class MessageList {
  connect(list) {
    this.list = list;
    this.watch();
    list.querySelectorAll(".message").forEach((node) => { handled.add(node); decorate(node); });
    regroup(list);
    refreshTimes(list);
    refreshDays(list);
    this.startWhereTheReaderLeftOff();
  }

  disconnect() {
    this.resized.disconnect();
    this.inserted.disconnect();
  }

  // Follow the reader's scrolling; while following, stay at the bottom when the list's box
  // changes size (the composer grows with its text, the window or keyboard resizes). A message
  // put in by any path is seen as soon as it is inserted, and again by its htmx:load.
  watch() {
    const list = this.list;
    this.resized = new ResizeObserver(() => { if (following && olderAnchor === null) scrollToBottom(); });
    this.resized.observe(list);
    this.inserted = new MutationObserver((records) => records.forEach((record) => record.addedNodes.forEach(arrivedIfMessage)));
    this.inserted.observe(list, { childList: true });
    list.addEventListener("htmx:load", (evt) => arrivedIfMessage(evt.detail.elt));
    list.addEventListener("scroll", () => {
      following = nearBottom(list);
      const p = pill();
      if (following && p) p.hidden = true;
    }, { passive: true });
  }

  // A message's link shows that message; else start where I left off: at the "New" divider
  // when there is one, else at the newest. (static/js/early.js did the same before the
  // first frame.)
  startWhereTheReaderLeftOff() {
    const list = this.list;
    const target = location.hash.startsWith("#message-") &&
      document.getElementById(decodeURIComponent(location.hash.slice(1)));
    const linked = target && list.contains(target) ? target : null;
    const divider = document.getElementById("new-messages-divider");
    if (linked) {
      linked.scrollIntoView({ block: "center" });
      following = nearBottom(list);
    } else if (divider) {
      list.scrollTop += divider.getBoundingClientRect().top - list.getBoundingClientRect().top - 8;
      following = nearBottom(list);
    } else {
      scrollToBottom();
    }
  }
});

// Older messages put above keep what the reader sees where it was, in the same frame as the
// insertion (and again as the list regroups), so the list never visibly jumps.
function keepPlace(list) {
  list.scrollTop = list.scrollHeight - olderAnchor;
}

document.addEventListener("htmx:afterSwap", () => {
  const list = listEl();
  if (list && olderAnchor !== null) { regroup(list); keepPlace(list); }
});

document.addEventListener("htmx:beforeSwap", (evt) => {
  const list = listEl();
  const target = evt.detail.target;
  if (list && target && target.classList && target.classList.contains("older") && list.contains(target)) {
    olderAnchor = list.scrollHeight - list.scrollTop;
  }
});

function arrivedIfMessage(node) {
  if (node.classList && node.classList.contains("message")) arrived(node);
}

// A message put in the list by any path: htmx announces it with htmx:load once it settles, and
// the list's observer sees it as soon as it is inserted (whichever comes first handles it).
function arrived(node) {
  const list = listEl();
  if (handled.has(node) || !list || !list.contains(node)) return;
  handled.add(node);
  const fresh = placeMessage(list, node);
  regroup(list);
  refreshDays(list);
  if (!node.isConnected) return;
  refreshTimes(node);
  if (olderAnchor !== null) { keepPlace(list); return; }  // an older page went in above
  if (following || (fresh && node.classList.contains("mine"))) {
    scrollToBottom();
    requestAnimationFrame(() => { if (following) scrollToBottom(); });
  } else if (fresh && pill()) {
    pill().hidden = false;
  }
}

// An older page went in above: the reader's place is kept for the last time.
document.addEventListener("htmx:afterSettle", () => {
  const list = listEl();
  if (list && olderAnchor !== null) {
    keepPlace(list);
    olderAnchor = null;
  }
});

document.addEventListener("click", (evt) => {
  if (evt.target.closest && evt.target.closest("#new-messages")) scrollToBottom();
});

setInterval(() => {
  const list = listEl();
  if (list) { refreshTimes(list); refreshDays(list); }
}, TIMELINE_REFRESH_MS);

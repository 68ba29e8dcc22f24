// Threads in the browser (without JavaScript every thread link opens the thread's own page):
// - on a desktop (≥ 1024 px) "Reply in thread" and a thread's summary open the thread in the
//   room's side panel (htmx GET of the same URL; the server answers the panel alone);
// - the thread composer: Enter sends, Shift+Enter is a new line, the text clears at once and
//   comes back if the send is refused; a direct room's reply is sealed like the room's;
// - each reply shows once in the thread, whichever path (the POST's answer, the socket)
//   brought it first, and the thread follows new replies;
// - "last 2 min ago" under each root stays true as time passes.

import { sealed } from "./composer.js";
import { decorate } from "./message_list.js";
import { refreshTimes } from "./timeline.js";

const DESKTOP = window.matchMedia("(min-width: 1024px)");
const MINUTE = 60 * 1000;

function panelEl() { return document.getElementById("thread-panel"); }
function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
}

function openInPanel(href) {
  const panel = panelEl();
  panel.hidden = false;
  panel.closest(".room-layout").classList.add("thread-open");
  htmx.ajax("GET", href, { target: "#thread-panel", swap: "innerHTML" });
}

function closePanel() {
  const panel = panelEl();
  if (!panel) return;
  panel.replaceChildren();
  panel.hidden = true;
  panel.closest(".room-layout").classList.remove("thread-open");
}

document.addEventListener("click", (evt) => {
  const link = evt.target.closest && evt.target.closest("[data-thread-link]");
  if (link && panelEl() && DESKTOP.matches && !evt.ctrlKey && !evt.metaKey && !evt.shiftKey) {
    evt.preventDefault();
    evt.stopPropagation();  // not a boosted navigation: the room stays
    openInPanel(link.getAttribute("href").split("#")[0]);
    return;
  }
  const close = evt.target.closest && evt.target.closest("[data-thread-close]");
  if (close && panelEl() && panelEl().contains(close)) {
    evt.preventDefault();
    evt.stopPropagation();
    closePanel();
  }
}, true);

function repliesOf(thread) { return thread.querySelector(".thread-replies"); }

function scrollThread(thread) {
  const scroller = thread.querySelector(".thread-scroll");
  if (scroller) scroller.scrollTop = scroller.scrollHeight;
}

// Keep one copy of a reply per thread (the newer, by data-change-seq).
function placeReply(node) {
  const list = node.parentElement;
  const copies = Array.from(list.querySelectorAll('[id="' + node.id + '"]'));
  const other = copies.find((m) => m !== node);
  if (other) {
    if (Number(node.dataset.changeSeq || 0) > Number(other.dataset.changeSeq || 0)) other.replaceWith(node);
    else node.remove();
  }
  if (node.isConnected) { decorate(node); refreshTimes(node); }
  const thread = list.closest(".thread");
  const count = thread && thread.querySelector(".thread-divider span");
  if (count) {
    const n = list.querySelectorAll(".message").length;
    count.textContent = n + (n === 1 ? " reply" : " replies");
  }
  if (thread) scrollThread(thread);
}

document.addEventListener("htmx:load", (evt) => {
  const node = evt.detail.elt;
  if (!node.classList) return;
  if (node.classList.contains("message") && node.parentElement && node.parentElement.classList.contains("thread-replies")) {
    placeReply(node);
  } else if (node.classList.contains("message") && node.closest(".thread")) {
    decorate(node);  // the root, re-rendered live with its new summary
    refreshTimes(node);
  }
  node.querySelectorAll(".thread").forEach(setUpThread);
  if (node.classList.contains("thread")) setUpThread(node);
});

function setUpThread(thread) {
  if (thread.dataset.ready) return;
  thread.dataset.ready = "1";
  thread.querySelectorAll(".message").forEach(decorate);
  refreshTimes(thread);
  scrollThread(thread);
  const form = thread.querySelector("form.thread-composer");
  if (form) setUpComposer(form);
  refreshAges(thread);
}

function setUpComposer(form) {
  const body = form.querySelector("textarea");
  const idField = form.querySelector("input[name=client_msg_id]");
  const also = form.querySelector("input[name=also_in_room]");
  const error = form.querySelector(".composer-error");
  const pending = {};
  form.noValidate = true;
  body.addEventListener("keydown", (evt) => {
    if (evt.key === "Enter" && !evt.shiftKey && !evt.isComposing) {
      evt.preventDefault();
      if (body.value.trim()) form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (evt) => {
    if (!window.htmx) return;
    evt.preventDefault();
    evt.stopPropagation();  // htmx's own hx-post would send it a second time
    const text = body.value;
    if (!text.trim()) return;
    const id = idField.value;
    pending[id] = text;
    idField.value = newId();
    body.value = "";
    let values = { body: text, client_msg_id: id };
    if (also && also.checked) values.also_in_room = "1";
    if (form.dataset.sealed) {
      const sealedValues = await sealed(values);
      if (!sealedValues) { body.value = text; idField.value = id; return; }
      values = { ...sealedValues, ...(also && also.checked ? { also_in_room: "1" } : {}) };
    }
    if (also) also.checked = false;
    htmx.ajax("POST", form.getAttribute("action"), {
      source: form, target: "#" + repliesOf(form.closest(".thread")).id, swap: "beforeend", values,
    });
  });
  form.addEventListener("htmx:afterRequest", (evt) => {
    if (evt.detail.elt !== form) return;
    const sentId = evt.detail.requestConfig.parameters.client_msg_id;
    const text = pending[sentId];
    delete pending[sentId];
    if (evt.detail.successful && evt.detail.xhr.status < 300) {
      error.textContent = "";
      return;
    }
    if (!body.value && text) { body.value = text; idField.value = sentId; }
    if (![422, 429].includes(evt.detail.xhr.status)) {
      error.textContent = "Your reply was not sent. It was kept; press Enter to try again.";
    }
  });
}

function ago(when) {
  const minutes = Math.floor((Date.now() - when.getTime()) / MINUTE);
  if (minutes < 1) return "just now";
  if (minutes < 60) return minutes + " min ago";
  if (minutes < 24 * 60) return Math.floor(minutes / 60) + " h ago";
  const days = Math.floor(minutes / (24 * 60));
  return days + (days === 1 ? " day ago" : " days ago");
}

function lastReply(when) {
  const words = ago(when);
  return words === "just now" ? "last reply just now" : "last " + words;
}

function refreshAges(root) {
  root.querySelectorAll(".thread-last[data-at]").forEach((el) => {
    const when = new Date(el.dataset.at);
    if (!isNaN(when)) el.textContent = lastReply(when);
  });
}

document.addEventListener("htmx:afterSettle", () => {
  document.querySelectorAll(".thread").forEach(setUpThread);
  refreshAges(document);
});
setInterval(() => {
  refreshAges(document);
  document.querySelectorAll(".thread").forEach(refreshTimes);
}, MINUTE);
document.querySelectorAll(".thread").forEach(setUpThread);
refreshAges(document);

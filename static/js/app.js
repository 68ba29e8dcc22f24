// Parley page glue: only what htmx cannot do by itself.
// - keeps every message exactly once and in seq order, whichever path delivered it
//   (page, POST reply, catch-up, socket);
// - composer niceties (Enter sends, fresh client_msg_id per message, reset on success);
// - scroll: stick to the bottom, keep position when older messages are prepended;
// - marks my own messages (fragments are viewer-independent) and shows local times.
// Pages change under hx-boost without reloading this script, so page state is looked up
// on demand and per-page set-up runs again after each boosted swap.
(function () {
  "use strict";

  let stick = true;
  let olderAnchor = null;

  function roomEl() { return document.querySelector(".room"); }
  function listEl() { const r = roomEl(); return r && r.querySelector(".messages"); }
  function myId() { const r = roomEl(); return r && r.dataset.me; }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function nearBottom(list) {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  }

  function scrollToBottom() {
    const list = listEl();
    if (list) list.scrollTop = list.scrollHeight;
  }

  function decorate(node) {
    const me = myId();
    if (me && node.dataset.authorId === me) node.classList.add("mine");
    node.querySelectorAll("time[datetime]").forEach((el) => {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      el.title = when.toLocaleString();
    });
  }

  // Put a freshly swapped message where its seq says, and drop it if it is already shown.
  function placeMessage(list, node) {
    if (list.querySelectorAll('[id="' + node.id + '"]').length > 1) {
      node.remove();
      return;
    }
    const seq = Number(node.dataset.seq);
    const later = Array.from(list.querySelectorAll(".message"))
      .find((m) => m !== node && Number(m.dataset.seq) > seq);
    if (later && (node.compareDocumentPosition(later) & Node.DOCUMENT_POSITION_PRECEDING)) {
      list.insertBefore(node, later);
    }
    decorate(node);
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
  }

  function setUpComposer() {
    const composer = document.getElementById("composer");
    if (!composer || composer.dataset.ready) return;
    composer.dataset.ready = "1";
    const body = composer.querySelector("textarea[name=body]");
    body.addEventListener("keydown", (evt) => {
      if (evt.key === "Enter" && !evt.shiftKey && !evt.isComposing) {
        evt.preventDefault();
        const image = composer.querySelector("input[name=image]");
        if (body.value.trim() || (image && image.files.length)) composer.requestSubmit();
      }
    });
    composer.addEventListener("htmx:afterRequest", (evt) => {
      if (evt.detail.elt !== composer || !evt.detail.successful) return;
      if (evt.detail.xhr.status >= 300) return; // 422: keep the text, show the error
      composer.reset();
      composer.querySelector("input[name=client_msg_id]").value = newId();
      document.getElementById("composer-error").textContent = "";
      body.removeAttribute("aria-invalid");
      body.focus();
      stick = true;
      scrollToBottom();
    });
  }

  function setUpPage() {
    const list = listEl();
    if (!list) return;
    list.querySelectorAll(".message").forEach(decorate);
    stick = true;
    scrollToBottom();
    setUpComposer();
  }

  document.addEventListener("htmx:beforeSwap", (evt) => {
    const list = listEl();
    if (!list) return;
    stick = nearBottom(list);
    const target = evt.detail.target;
    if (target && target.classList && target.classList.contains("older")) {
      olderAnchor = list.scrollHeight - list.scrollTop;
    }
  });
  document.addEventListener("htmx:load", (evt) => {
    const node = evt.detail.elt;
    const list = listEl();
    if (list && node.classList && node.classList.contains("message") && list.contains(node)) {
      placeMessage(list, node);
    }
  });
  document.addEventListener("htmx:afterSettle", (evt) => {
    if (evt.detail.boosted || evt.detail.target === document.body) {
      setUpPage();
      return;
    }
    const list = listEl();
    if (!list) return;
    if (olderAnchor !== null) {
      list.scrollTop = list.scrollHeight - olderAnchor;
      olderAnchor = null;
    } else if (stick) {
      scrollToBottom();
    }
  });

  setUpPage();
  window.Parley = { newId, scrollToBottom, listEl };
})();

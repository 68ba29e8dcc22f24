// Parley page glue: only what htmx cannot do by itself.
// - keeps every message exactly once and in seq order, whichever path delivered it
//   (page, POST reply, catch-up, socket);
// - composer niceties (Enter sends, fresh client_msg_id per message, reset on success);
// - scroll: stick to the bottom, keep position when older messages are prepended;
// - marks my own messages (fragments are viewer-independent); times and day headings are
//   timeline.js's.
// Pages change under hx-boost without reloading this script, so page state is looked up
// on demand and per-page set-up runs again after each boosted swap.
(function () {
  "use strict";

  document.documentElement.classList.add("js");
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
    const room = roomEl();
    if (me && node.dataset.authorId === me) node.classList.add("mine");
    // Edit/delete links are in every copy of the fragment; show them to who may use them
    // (the server checks again): the author, and the room's owner for deletion.
    if (me && room && room.dataset.ownerId === me) node.classList.add("can-manage");
    // Mentions are rendered alike for everyone; the one naming me stands out for me.
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
  // under that one's header (avatar and name once), as in Slack and Campfire.
  const GROUP_MS = 5 * 60 * 1000;

  function regroup(list) {
    let previous = null;
    list.querySelectorAll(".message").forEach((node) => {
      const time = Date.parse((node.querySelector(".message-meta time") || {}).dateTime || "");
      const continued = previous !== null && !node.classList.contains("deleted")
        && !previous.node.classList.contains("deleted")
        && previous.author === node.dataset.authorId && time - previous.time < GROUP_MS
        && time >= previous.time;
      node.classList.toggle("continued", continued);
      previous = { node, author: node.dataset.authorId, time: continued ? previous.time : time };
    });
  }

  // Put a freshly swapped message where its seq says, and drop it if it is already shown.
  // A second copy replaces the first only if it is newer (edits, deletions and reactions
  // raise data-change-seq); a changed message older than the loaded history is left out.
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
      return;
    }
    const seq = Number(node.dataset.seq);
    const others = Array.from(list.querySelectorAll(".message")).filter((m) => m !== node);
    if (list.querySelector(".older") && others.length && others.every((m) => Number(m.dataset.seq) > seq)) {
      node.remove();
      return;
    }
    const later = Array.from(list.querySelectorAll(".message"))
      .find((m) => m !== node && Number(m.dataset.seq) > seq);
    if (later && (node.compareDocumentPosition(later) & Node.DOCUMENT_POSITION_PRECEDING)) {
      list.insertBefore(node, later);
    }
    decorate(node);
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
  }

  // The composer sends each message on its own, in order, with its own client_msg_id, and
  // clears at once; a refused or failed send puts the text back so nothing typed is lost.
  // (Without JavaScript the same form posts normally and the server answers 303.)
  let sendChain = Promise.resolve();

  function showComposerError(text) {
    const box = document.getElementById("composer-error");
    const p = document.createElement("p");
    p.className = "field-error";
    p.textContent = text;
    box.replaceChildren(p);
  }

  function setUpComposer() {
    const composer = document.getElementById("composer");
    if (!composer || composer.dataset.ready) return;
    composer.dataset.ready = "1";
    // A direct room's textarea has no name: its text is sealed in the browser (data-sealed).
    const body = composer.querySelector("textarea");
    const idField = composer.querySelector("input[name=client_msg_id]");
    const pending = {};
    composer.noValidate = true;  // the glue checks for empty text; htmx must not re-validate
    const draftKey = "parley:draft:" + composer.getAttribute("action");
    const grow = () => {
      body.style.height = "auto";  // CSSOM, not a style attribute: allowed by the page's CSP
      body.style.height = Math.min(body.scrollHeight + 2, window.innerHeight * 0.4) + "px";
    };
    const saveDraft = () => {
      try {
        if (body.value.trim()) localStorage.setItem(draftKey, body.value);
        else localStorage.removeItem(draftKey);
      } catch (e) { /* storage full or disabled: the draft just is not kept */ }
    };
    if (!body.value) {
      try { body.value = localStorage.getItem(draftKey) || ""; } catch (e) { /* as above */ }
    }
    body.addEventListener("input", () => { grow(); saveDraft(); });
    grow();
    body.addEventListener("keydown", (evt) => {
      if (evt.key === "Enter" && !evt.shiftKey && !evt.isComposing) {
        evt.preventDefault();
        const image = composer.querySelector("input[name=image]");
        if (body.value.trim() || (image && image.files.length)) composer.requestSubmit();
      }
    });
    composer.addEventListener("submit", (evt) => {
      if (!window.htmx) return;
      evt.preventDefault();
      const imageInput = composer.querySelector("input[name=image]");
      const file = imageInput && imageInput.files[0];
      const text = body.value;
      const id = idField.value;
      if (!text.trim() && !file) return;
      if (file && file.size > Number(imageInput.dataset.maxBytes || Infinity)) {
        showComposerError(imageInput.dataset.tooLarge);
        return;  // refused before sending; the server checks again
      }
      pending[id] = { text, file };
      idField.value = newId();
      body.value = "";
      saveDraft();
      grow();
      body.focus();  // pressing Send (not only Enter) leaves the caret ready for the next one
      if (imageInput) imageInput.value = "";
      stick = true;
      const values = { body: text, client_msg_id: id };
      if (file) values.image = file;
      const replyField = composer.querySelector("input[name=reply_to]");
      if (replyField && replyField.value) values.reply_to = replyField.value;
      // static/js/replies.js clears the reply target (the message is on its way with it).
      composer.dispatchEvent(new CustomEvent("parley:sending", { bubbles: true }));
      const list = listEl();
      sendChain = sendChain.then(async () => {
        const sending = composer.dataset.sealed ? await sealed(values) : values;
        if (!sending) return putBack(id);  // not sent: the e2e panel or composer says why
        return htmx.ajax("POST", composer.getAttribute("action"), {
          source: composer, target: "#" + list.id, swap: "beforeend", values: sending,
        });
      }).catch(() => putBack(id));
    });
    // The seal step of static/js/e2e/room.js: the values to post, or null to keep the text.
    async function sealed(values) {
      if (!window.ParleySeal) {
        showComposerError("Private messages are still starting. Try again in a moment.");
        return null;
      }
      return window.ParleySeal(values);
    }
    function putBack(id) {
      const kept = pending[id];
      delete pending[id];
      if (kept && !body.value) {
        body.value = kept.text;
        idField.value = id;
      }
    }
    composer.addEventListener("htmx:afterRequest", (evt) => {
      if (evt.detail.elt !== composer) return;
      const sentId = evt.detail.requestConfig.parameters.client_msg_id;
      const sent = pending[sentId] || {};
      delete pending[sentId];
      const status = evt.detail.xhr.status;
      const error = document.getElementById("composer-error");
      if (evt.detail.successful && status < 300) {
        error.textContent = "";
        body.removeAttribute("aria-invalid");
        scrollToBottom();
        return;
      }
      if (!body.value) {  // keep what was typed (and the image), and its id: a retry posts once
        body.value = sent.text || "";
        saveDraft();
        grow();
        idField.value = sentId;
        const imageInput = composer.querySelector("input[name=image]");
        if (sent.file && imageInput) {
          const transfer = new DataTransfer();
          transfer.items.add(sent.file);
          imageInput.files = transfer.files;
        }
      }
      if (status !== 422 && status !== 429) {  // those say why, in #composer-error
        error.textContent = status
          ? "Your message was not sent (error " + status + "). It was kept; reload the page and try again."
          : "Could not reach Parley. Your message was kept; press Enter to try again.";
      }
      body.setAttribute("aria-invalid", "true");
      body.focus();
    });
  }

  // A boosted navigation swaps the body's content but keeps its attributes, so the CSRF
  // header would stay the one of the first page even after signing in rotated the token.
  // Every signed-in page carries the current token in its forms: keep the header in step.
  function syncCsrfHeader() {
    const field = document.querySelector("input[name=csrf_token]");
    if (!field) return;
    let headers = {};
    try { headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (e) { headers = {}; }
    if (headers["X-CSRF-Token"] === field.value) return;
    headers["X-CSRF-Token"] = field.value;
    document.body.setAttribute("hx-headers", JSON.stringify(headers));
  }

  function setUpPage() {
    syncCsrfHeader();
    const list = listEl();
    if (!list) return;
    list.querySelectorAll(".message").forEach(decorate);
    regroup(list);
    // Where I left off: start at the "New" divider when there is one, else at the newest.
    const divider = document.getElementById("new-messages-divider");
    if (divider) {
      list.scrollTop += divider.getBoundingClientRect().top - list.getBoundingClientRect().top - 8;
      stick = nearBottom(list);
    } else {
      stick = true;
      scrollToBottom();
    }
    setUpComposer();
  }

  // A refused form must say why with JavaScript on, as it does with it off. A boosted form
  // (or link) gets the whole page back, errors included: show it like a plain navigation
  // would. Any other refused request (a reaction, an edit) gets its reason in an alert.
  document.addEventListener("htmx:beforeSwap", (evt) => {
    const status = evt.detail.xhr.status;
    if (status < 400 || !evt.detail.isError) return;
    if (evt.detail.boosted) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
      return;
    }
    const source = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    if (source && (source.id === "composer" || source.classList.contains("inline-edit"))) return;
    showAlert(refusalText(evt.detail.xhr));
  });

  function refusalText(xhr) {
    const doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    const reason = doc.querySelector(".error-page p, .form-error, .field-error");
    return (reason && reason.textContent.trim()) || "That did not work (error " + xhr.status + ").";
  }

  function showAlert(text) {
    let box = document.getElementById("page-alert");
    if (!box) {
      box = document.createElement("p");
      box.id = "page-alert";
      box.className = "page-alert";
      box.setAttribute("role", "alert");
      document.getElementById("main").prepend(box);
    }
    box.textContent = text;
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
  // Pushed fragments are rendered for everyone, so their forms carry no CSRF token: give
  // them this browser's (the one htmx already sends as a header).
  function addCsrfTokens(root) {
    let token = null;
    try { token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]; } catch (e) { return; }
    const forms = root.matches && root.matches("form") ? [root] : Array.from(root.querySelectorAll ? root.querySelectorAll("form") : []);
    forms.forEach((form) => {
      if ((form.method || "").toLowerCase() !== "post" || form.querySelector("input[name=csrf_token]")) return;
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "csrf_token";
      input.value = token;
      form.prepend(input);
    });
  }

  document.addEventListener("htmx:load", (evt) => {
    const node = evt.detail.elt;
    addCsrfTokens(node);
    // The member list is the same for everyone: nobody needs a link to message themselves.
    const me = myId();
    if (me && node.querySelectorAll) {
      node.querySelectorAll('.member[data-user-id="' + me + '"] .dm-link').forEach((a) => a.remove());
    }
    const list = listEl();
    if (list && node.classList && node.classList.contains("message") && list.contains(node)) {
      placeMessage(list, node);
      regroup(list);
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

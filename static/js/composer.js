// The composer, one for rooms and direct rooms (without JavaScript the same form posts
// normally and the server answers 303):
// - Enter sends, Shift+Enter is a new line; the textarea grows with its text;
// - each message is sent on its own, in order, with its own client_msg_id, and the composer
//   clears at once; a refused or failed send puts the text back so nothing typed is lost;
// - a draft per room is kept in localStorage across navigation and reloads;
// - ↑ in an empty composer edits my last message (static/js/inline_edit.js);
// - a direct room's form (data-sealed) passes its values through the seal step that
//   static/js/e2e/room.js registers with setSealStep(); the text itself is never posted.

import { editLast } from "./inline_edit.js";
import { typing } from "./live.js";
import { scrollToBottom } from "./message_list.js";
import { listEl } from "./page.js";

let sendChain = Promise.resolve();
let sealStep = null;

/** Register the step that turns a direct room's values into sealed ones (or null: not sent). */
export function setSealStep(step) {
  sealStep = step;
}

function composerEl() { return document.getElementById("composer"); }

/** Put the caret in the composer's textarea (true, so click handlers can chain it). */
export function focusComposer() {
  const composer = composerEl();
  const body = composer && composer.querySelector("textarea");
  if (body) body.focus();
  return true;
}

/** Say why the message was not sent, under the composer. */
export function showComposerError(text) {
  const box = document.getElementById("composer-error");
  if (!box) return;
  const p = document.createElement("p");
  p.className = "field-error";
  p.textContent = text;
  box.replaceChildren(p);
}

function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
}

function setUp() {
  const composer = composerEl();
  if (!composer || composer.tagName !== "FORM" || composer.dataset.ready) return;
  composer.dataset.ready = "1";
  composer.noValidate = true;  // this module checks for empty text; htmx must not re-validate
  const body = composer.querySelector("textarea");
  const idField = composer.querySelector("input[name=client_msg_id]");
  const fileInput = () => composer.querySelector("input[name=image]");
  const pending = {};
  const draftKey = "parley:draft:" + composer.getAttribute("action").split("?")[0];  // not the token

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
  const putBack = (id) => {
    const kept = pending[id];
    delete pending[id];
    if (kept && !body.value) {
      body.value = kept.text;
      idField.value = id;
      saveDraft();
      grow();
    }
  };

  if (!body.value) {
    try { body.value = localStorage.getItem(draftKey) || ""; } catch (e) { /* as above */ }
  }
  body.addEventListener("input", () => { grow(); saveDraft(); if (body.value.trim()) typing(); });
  grow();

  body.addEventListener("keydown", (evt) => {
    if (evt.key === "Enter" && !evt.shiftKey && !evt.isComposing) {
      evt.preventDefault();
      const file = fileInput();
      if (body.value.trim() || (file && file.files.length)) composer.requestSubmit();
    } else if (evt.key === "ArrowUp" && body.value === "" && body.getAttribute("aria-expanded") !== "true") {
      if (editLast()) evt.preventDefault();  // as in Slack; an open mention list uses ↑ itself
    }
  });

  composer.addEventListener("submit", (evt) => {
    if (!window.htmx) return;
    evt.preventDefault();
    const input = fileInput();
    const file = input && input.files[0];
    const text = body.value;
    const id = idField.value;
    if (!text.trim() && !file) return;
    if (file && file.size > Number(input.dataset.maxBytes || Infinity)) {
      showComposerError(input.dataset.tooLarge);
      return;  // refused before sending; the server checks again
    }
    pending[id] = { text, file };
    idField.value = newId();
    body.value = "";
    saveDraft();
    grow();
    body.focus();  // pressing Send (not only Enter) leaves the caret ready for the next one
    if (input) input.value = "";
    scrollToBottom();
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
    if (!body.value) {  // keep what was typed (and the file), and its id: a retry posts once
      body.value = sent.text || "";
      saveDraft();
      grow();
      idField.value = sentId;
      const input = fileInput();
      if (sent.file && input) {
        const transfer = new DataTransfer();
        transfer.items.add(sent.file);
        input.files = transfer.files;
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

// The values to post for a direct room, or null to keep the text (also the thread
// composer's, static/js/threads.js).
export async function sealed(values) {
  if (!sealStep) {
    showComposerError("Private messages are still starting. Try again in a moment.");
    return null;
  }
  return sealStep(values);
}

document.addEventListener("htmx:afterSettle", setUp);
setUp();

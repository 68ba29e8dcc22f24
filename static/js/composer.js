// The composer, one for rooms and direct rooms (without JavaScript the same form posts
// normally and the server answers 303):
// - Enter sends, Shift+Enter is a new line; the textarea grows with its text;
// - each message is sent on its own, in order, with its own client_msg_id, and the composer
//   clears at once; a refused or failed send puts the text back so nothing typed is lost;
// - a draft per room is kept in localStorage across navigation and reloads;
// - ↑ in an empty composer edits my last message (static/js/inline_edit.js);
// - a direct room's form (data-sealed) passes its values through the seal step that
//   static/js/e2e/room.js registers with setSealStep(); the text itself is never posted.
// The form is a behaviour (data-behaviour="composer"); the send chain is one per tab.

import { register } from "./behaviours.js";
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

// The room's form (data-behaviour="composer").
register("composer", class Composer {
  connect(form) {
    this.form = form;
    this.body = form.querySelector("textarea");
    this.idField = form.querySelector("input[name=client_msg_id]");
    this.pending = {};  // client_msg_id -> the text and file on their way
    this.draftKey = "parley:draft:" + form.getAttribute("action").split("?")[0];  // not the token
    form.dataset.ready = "1";  // Enter sends from now on (tests wait for it)
    form.noValidate = true;  // this module checks for empty text; htmx must not re-validate
    this.restoreDraft();
    this.body.addEventListener("input", () => this.onInput());
    this.body.addEventListener("keydown", (evt) => this.onKey(evt));
    form.addEventListener("submit", (evt) => this.onSubmit(evt));
    form.addEventListener("htmx:afterRequest", (evt) => this.onSent(evt));
  }

  fileInput() { return this.form.querySelector("input.file-input"); }

  grow() {
    const body = this.body;
    body.style.height = "auto";  // CSSOM, not a style attribute: allowed by the page's CSP
    body.style.height = Math.min(body.scrollHeight + 2, window.innerHeight * 0.4) + "px";
  }

  restoreDraft() {
    if (!this.body.value) {
      try { this.body.value = localStorage.getItem(this.draftKey) || ""; } catch (e) { /* see saveDraft */ }
    }
    this.grow();
  }

  saveDraft() {
    try {
      if (this.body.value.trim()) localStorage.setItem(this.draftKey, this.body.value);
      else localStorage.removeItem(this.draftKey);
    } catch (e) { /* storage full or disabled: the draft just is not kept */ }
  }

  // A message that did not leave goes back in an empty composer, with its id: a retry posts once.
  putBack(id) {
    const kept = this.pending[id];
    delete this.pending[id];
    if (kept && !this.body.value) this.restore(id, kept);  // the text and the file
  }

  restore(id, { text, file }) {
    this.body.value = text || "";
    this.idField.value = id;
    this.saveDraft();
    this.grow();
    this.keepFile(file);
  }

  // A file that was not sent goes back into the field.
  keepFile(file) {
    const input = this.fileInput();
    if (!file || !input) return;
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));  // uploads.js shows it again
  }

  onInput() {
    this.grow();
    this.saveDraft();
    if (this.body.value.trim()) typing();
  }

  onKey(evt) {
    const body = this.body;
    if (evt.key === "Enter" && !evt.shiftKey && !evt.isComposing) {
      evt.preventDefault();
      const file = this.fileInput();
      if (body.value.trim() || (file && file.files.length)) this.form.requestSubmit();
    } else if (evt.key === "ArrowUp" && body.value === "" && body.getAttribute("aria-expanded") !== "true") {
      if (editLast()) evt.preventDefault();  // as in Slack; an open mention list uses ↑ itself
    }
  }

  onSubmit(evt) {
    if (!window.htmx) return;
    evt.preventDefault();
    const input = this.fileInput();
    const file = input && input.files[0];
    const text = this.body.value;
    const id = this.idField.value;
    if (!text.trim() && !file) return;
    if (file && file.size > Number(input.dataset.maxBytes || Infinity)) {
      showComposerError(input.dataset.tooLarge);
      return;  // refused before sending; the server checks again
    }
    this.pending[id] = { text, file };
    this.clearForNext(input);
    this.send(this.values(id, text, file), id);
  }

  // The composer empties at once, the caret ready for the next message (after Send too).
  clearForNext(input) {
    this.idField.value = newId();
    this.body.value = "";
    this.saveDraft();
    this.grow();
    this.body.focus();
    if (input) input.value = "";
    scrollToBottom();
  }

  values(id, text, file) {
    const values = { body: text, client_msg_id: id };
    if (file) values.image = file;
    const replyField = this.form.querySelector("input[name=reply_to]");
    if (replyField && replyField.value) values.reply_to = replyField.value;
    return values;
  }

  // Each message on its own, in order; a direct room's through the seal step.
  send(values, id) {
    const form = this.form;
    // static/js/replies.js clears the reply target (the message is on its way with it).
    form.dispatchEvent(new CustomEvent("parley:sending", { bubbles: true }));
    const list = listEl();
    sendChain = sendChain.then(async () => {
      const sending = form.dataset.sealed ? await sealed(values) : values;
      if (!sending) return this.putBack(id);  // not sent: the e2e panel or composer says why
      return htmx.ajax("POST", form.getAttribute("action"), {
        source: form, target: "#" + list.id, swap: "beforeend", values: sending,
      });
    }).catch(() => this.putBack(id));
  }

  onSent(evt) {
    if (evt.detail.elt !== this.form) return;
    const sentId = evt.detail.requestConfig.parameters.client_msg_id;
    const status = evt.detail.xhr.status;
    if (evt.detail.successful && status < 300) {
      delete this.pending[sentId];
      document.getElementById("composer-error").textContent = "";
      this.body.removeAttribute("aria-invalid");
      scrollToBottom();
      return;
    }
    const sent = this.pending[sentId] || {};
    delete this.pending[sentId];
    if (!this.body.value) this.restore(sentId, sent);  // what was typed, and the file
    this.sayWhyNotSent(status);
  }

  sayWhyNotSent(status) {
    if (status !== 422 && status !== 429) {  // those say why, in #composer-error
      document.getElementById("composer-error").textContent = status
        ? "Your message was not sent (error " + status + "). It was kept; reload the page and try again."
        : "Could not reach Parley. Your message was kept; press Enter to try again.";
    }
    this.body.setAttribute("aria-invalid", "true");
    this.body.focus();
  }
});

// The values to post for a direct room, or null to keep the text (also the thread
// composer's, static/js/threads.js).
export async function sealed(values) {
  if (!sealStep) {
    showComposerError("Private messages are still starting. Try again in a moment.");
    return null;
  }
  return sealStep(values);
}


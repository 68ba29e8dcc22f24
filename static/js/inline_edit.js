// Editing in place: "Edit" on my message (or ↑ in an empty composer) turns the message into a
// small form, borrowed from the no-JS edit page so the server stays the one source of the
// form, its CSRF token and its text. Enter saves (Shift+Enter is a new line), Escape cancels;
// Delete asks first, as the action bar's Delete does. The edit form is made on demand, not
// on page load, so this module is only once-per-tab listeners: no behaviour to connect.
// The saved message comes back as its fragment and replaces the one shown; the edit history
// is kept by the server as for any edit. Without JavaScript the link opens the edit page.
import { focusComposer } from "./composer.js";
import { confirmDeletion } from "./message_tools.js";
import { refusalReason } from "./page.js";

const OPEN = "editing";

function cancel(message) {
  const form = message.querySelector("form.inline-edit");
  if (form) form.remove();
  message.classList.remove(OPEN);
}

function showRefusal(form, xhr) {
  let box = form.querySelector(".field-error");
  if (!box) {
    box = document.createElement("p");
    box.className = "field-error";
    box.setAttribute("role", "alert");
    form.querySelector("textarea").after(box);
  }
  box.textContent = refusalReason(xhr) || "Not saved (error " + xhr.status + ").";
}

async function edit(message) {
  if (message.classList.contains(OPEN)) return;
  document.querySelectorAll(".message." + OPEN).forEach(cancel);
  const link = message.querySelector(".manage-edit");
  const form = await borrowedForm(link.href);
  if (!form) { window.location.href = link.href; return; }
  makeInline(form);
  addButtons(form, message);
  message.classList.add(OPEN);
  message.querySelector(".message-main").append(form);
  window.htmx.process(form);
  const textarea = form.querySelector("textarea");
  textarea.addEventListener("keydown", (evt) => onKey(evt, form, message));
  textarea.focus();
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
}

// The no-JS edit page's form (its CSRF token and text), or null.
async function borrowedForm(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) return null;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  return page.querySelector("form.edit-form");
}

function makeInline(form) {
  form.classList.add("inline-edit");
  form.setAttribute("hx-post", form.getAttribute("action"));
  form.setAttribute("hx-target", "closest .message");
  form.setAttribute("hx-swap", "outerHTML");
  form.removeAttribute("hx-boost");
  const textarea = form.querySelector("textarea");
  textarea.rows = Math.min(8, Math.max(2, textarea.value.split("\n").length));
  const hint = document.createElement("p");
  hint.className = "muted small";
  hint.textContent = "Enter to save · Escape to cancel";
  form.append(hint);
}

// Save, Cancel, and Delete where the message may be deleted.
function addButtons(form, message) {
  const save = form.querySelector("button[type=submit]");
  save.textContent = "Save";
  const close = button("Cancel", () => { cancel(message); focusComposer(); });
  save.after(close);
  if (message.querySelector(".manage-delete[data-deletion]")) {
    const remove = button("Delete", () => confirmDeletion(message));
    remove.className = "danger";
    close.after(remove);
  }
}

function button(text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

function onKey(evt, form, message) {
  if (evt.key === "Escape") {
    evt.preventDefault();
    evt.stopPropagation();
    cancel(message);
    focusComposer();
  } else if (evt.key === "Enter" && !evt.shiftKey && !evt.isComposing) {
    evt.preventDefault();
    form.requestSubmit();
  }
}

// htmx fires beforeSwap on the target (the message), so listen above it and pick our forms.
document.addEventListener("htmx:beforeSwap", (evt) => {
  const form = evt.detail.requestConfig && evt.detail.requestConfig.elt;
  if (!form || !form.classList || !form.classList.contains("inline-edit")) return;
  if (evt.detail.xhr.status >= 400) {
    evt.detail.shouldSwap = false;
    evt.detail.isError = false;  // said next to the text, not in the page alert
    showRefusal(form, evt.detail.xhr);
  }
}, true);

// Capture phase: ahead of hx-boost's own listener on the link, which would navigate.
document.addEventListener("click", (evt) => {
  const link = evt.target.closest && evt.target.closest(".message.mine .manage-edit");
  if (!link || evt.ctrlKey || evt.metaKey || evt.shiftKey) return;
  evt.preventDefault();
  evt.stopPropagation();
  edit(link.closest(".message"));
}, true);

/** Edit my last message that can be edited here (false when there is none). */
export function editLast() {
  const mine = document.querySelectorAll(".messages .message.mine:not(.deleted) .manage-edit");
  if (!mine.length) return false;
  edit(mine[mine.length - 1].closest(".message"));
  return true;
}

// A message's action bar (Reply, React, Edit, Delete), beyond what the stylesheet does:
// - on a phone a tap on a message opens its bar in a row of its own (a tap on another message
//   moves it there, a tap on the same one closes it); on a wide screen hovering shows it;
// - Delete asks first, in a dialog of the page, then posts the message's deletion route (with
//   the CSRF header htmx sends) and puts the returned tombstone in place; every other tab gets
//   it from the socket. Without JavaScript the link opens the edit page and its Delete button.

const OPEN = "actions-open";
const INTERACTIVE = "a, button, summary, input, textarea, select, label, form, details[open]";
let doomed = null;  // the message the open dialog would delete

function deleteDialog() {
  let dialog = document.getElementById("delete-message-dialog");
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.id = "delete-message-dialog";
  dialog.className = "confirm-dialog";
  dialog.setAttribute("aria-labelledby", "delete-message-title");
  dialog.innerHTML =
    '<form method="dialog">' +
    '<h2 id="delete-message-title">Delete this message?</h2>' +
    '<p class="muted small">A “message deleted” note stays in its place; its text, image, ' +
    "reactions and history are removed for everyone.</p>" +
    '<div class="confirm-buttons">' +
    '<button type="submit" value="cancel" autofocus>Cancel</button>' +
    '<button type="submit" value="delete" class="danger">Delete message</button>' +
    "</div></form>";
  dialog.addEventListener("close", () => {
    const message = doomed;
    doomed = null;
    if (dialog.returnValue !== "delete" || !message || !message.isConnected) return;
    const link = message.querySelector(".manage-delete");
    window.htmx.ajax("POST", link.dataset.deletion, { source: message, target: message, swap: "outerHTML" });
  });
  document.body.append(dialog);
  return dialog;
}

/** Ask whether to delete `message`, and delete it if so (the bar's Delete, the inline editor's). */
export function confirmDeletion(message) {
  const dialog = deleteDialog();
  doomed = message;
  dialog.returnValue = "";
  dialog.showModal();
}

// Capture phase: ahead of hx-boost's own listener on the link, which would navigate.
document.addEventListener("click", (evt) => {
  const link = evt.target.closest && evt.target.closest(".message .manage-delete[data-deletion]");
  if (!link || evt.ctrlKey || evt.metaKey || evt.shiftKey) return;
  evt.preventDefault();
  evt.stopPropagation();
  confirmDeletion(link.closest(".message"));
}, true);

document.addEventListener("click", (evt) => {
  if (!evt.target.closest) return;
  const message = evt.target.closest(".messages .message");
  if (message && evt.target.closest(INTERACTIVE)) return;  // a control of the message: keep it open
  document.querySelectorAll(".message." + OPEN).forEach((m) => { if (m !== message) m.classList.remove(OPEN); });
  if (message) message.classList.toggle(OPEN);
});

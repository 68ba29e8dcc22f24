// What every page needs around htmx (this module imports nothing, so it runs first):
// - <html class="js">: styles for the scripted page (hover toolbars, the folded sidebar);
// - the CSRF header follows the page's token (a boosted sign-in rotates it), and pushed
//   fragments' forms get this browser's token;
// - a refused request says why: a boosted form or link shows the page it got back, as a
//   plain navigation would; anything else gets the reason in an alert at the top;
// - the member list (the same for everyone) offers nobody a link to message themselves.
// All of it is once per tab: htmx.onLoad hooks and document listeners, no behaviours.

document.documentElement.classList.add("js");

/** The room on this page (a boosted navigation replaces it, so it is looked up each time). */
export function roomEl() { return document.querySelector(".room"); }
/** The room's message list. */
export function listEl() { const r = roomEl(); return r && r.querySelector(".messages"); }
/** The signed-in person's id, on a room page. */
export function myId() { const r = roomEl(); return r && r.dataset.me; }

/** This browser's CSRF token, the one htmx sends as a header. */
export function csrfToken() {
  try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"] || ""; } catch (e) { return ""; }
}

/** The first refusal in an error response that says something, or null. */
export function refusalReason(xhr) {
  const doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  const reason = [...doc.querySelectorAll(".error-page p, .form-error, .field-error")]
    .find((el) => el.textContent.trim());
  return reason ? reason.textContent.trim() : null;
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

// Pushed fragments are rendered for everyone, so their forms carry no CSRF token: give
// them this browser's (the one htmx already sends as a header).
function addCsrfTokens(root) {
  const token = csrfToken();
  if (!token || !root.querySelectorAll) return;
  const forms = root.matches("form") ? [root] : Array.from(root.querySelectorAll("form"));
  forms.forEach((form) => {
    if ((form.method || "").toLowerCase() !== "post" || form.querySelector("input[name=csrf_token]")) return;
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "csrf_token";
    input.value = token;
    form.prepend(input);
  });
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
  const status = evt.detail.xhr.status;
  if (status < 400 || !evt.detail.isError) return;
  if (evt.detail.boosted) {
    evt.detail.shouldSwap = true;
    evt.detail.isError = false;
    return;
  }
  const source = evt.detail.requestConfig && evt.detail.requestConfig.elt;
  // The composer and the inline edit say why next to the text.
  if (source && (source.id === "composer" || source.classList.contains("inline-edit"))) return;
  showAlert(refusalReason(evt.detail.xhr) || "That did not work (error " + status + ").");
});

function hideMyOwnDmLinks(root) {
  const me = myId();
  if (me && root.querySelectorAll) {
    root.querySelectorAll('.member[data-user-id="' + me + '"] .dm-link').forEach((a) => a.remove());
  }
}

// Whatever htmx put in the page (a fragment, a socket frame, a whole boosted page).
htmx.onLoad((root) => {
  addCsrfTokens(root);
  hideMyOwnDmLinks(root);
  syncCsrfHeader();
});

syncCsrfHeader();

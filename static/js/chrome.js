// Page chrome: the sidebar's disclosure button on narrow screens, Escape closing what is
// open, and the count in the tab title: the sum of the sidebar's unread badges (which the
// server keeps live with pushed #room-<id>-unread fragments) and of the invitations waiting
// there (#invitations, pushed too). A folded sidebar's button says how many invitations wait.
// The sidebar's button is a behaviour (data-behaviour="sidebar-toggle"); the Escape key, the
// room's Details panel (delegated clicks) and the title's observer exist once per tab.

import { register } from "./behaviours.js";

const PREFIX = /^\(\d+\) /;

function toggle() { return document.getElementById("sidebar-toggle"); }
function layout() { return document.querySelector(".layout.with-sidebar"); }

function setSidebar(open) {
  const button = toggle();
  const l = layout();
  if (!button || !l) return;
  button.setAttribute("aria-expanded", String(open));
  l.classList.toggle("sidebar-open", open);
}

// Without JavaScript the sidebar simply stays visible; with it, phones fold it away.
register("sidebar-toggle", class SidebarToggle {
  connect(button) {
    setSidebar(false);
    button.addEventListener("click", () => setSidebar(button.getAttribute("aria-expanded") !== "true"));
  }
});

function unreadTotal() {
  let total = 0;
  document.querySelectorAll(".sidebar .unread .count").forEach((badge) => {
    total += Number(badge.textContent.trim()) || 0;
  });
  return total;
}

function invitationCount() {
  return document.querySelectorAll(".sidebar #invitations .invitation").length;
}

// "Rooms", with a badge while invitations wait (said in words to screen readers).
function refreshToggle(invitations) {
  const button = toggle();
  const wanted = invitations ? String(invitations) : "";
  if (!button || (button.dataset.invitations || "") === wanted) return;
  button.dataset.invitations = wanted;
  button.replaceChildren("Rooms");
  if (!invitations) return;
  const badge = document.createElement("span");
  badge.className = "toggle-badge";
  badge.setAttribute("aria-hidden", "true");
  badge.textContent = wanted;
  const said = document.createElement("span");
  said.className = "visually-hidden";
  said.textContent = ", " + invitations + " invitation" + (invitations === 1 ? "" : "s");
  button.append(" ", badge, said);
}

function refreshTitle() {
  const base = document.title.replace(PREFIX, "");
  const invitations = invitationCount();
  refreshToggle(invitations);
  const total = unreadTotal() + invitations;
  const wanted = total ? "(" + total + ") " + base : base;
  if (document.title !== wanted) document.title = wanted;
}

// On phones a room's members and settings open over it (the header's member count, or "Room
// details" in its menu), and close again; on a wide screen they are beside the room, and the
// same links simply lead there.
const PHONE = window.matchMedia("(max-width: 720px)");

function setDetails(open) {
  const layout = document.querySelector(".room-layout");
  const button = document.querySelector(".room-header .room-member-count");
  if (!layout || !button) return;
  layout.classList.toggle("details-open", open);
  button.setAttribute("aria-expanded", String(open));
  if (open) document.querySelector(".room-details-close").focus();
  else button.focus();
}

function closeMenus(except) {
  document.querySelectorAll("details.room-menu[open]").forEach((menu) => {
    if (menu !== except) menu.open = false;
  });
}

document.addEventListener("click", (evt) => {
  if (!evt.target.closest) return;
  closeMenus(evt.target.closest("details.room-menu"));  // a click elsewhere closes the menu
  if (evt.target.closest(".room-details-toggle")) {
    if (!PHONE.matches) return;  // beside the room already: the link leads there
    evt.preventDefault();
    closeMenus(null);
    setDetails(!document.querySelector(".room-layout.details-open"));
  } else if (evt.target.closest(".room-details-close")) {
    setDetails(false);
  }
});

// The involvement choice takes effect when it is made (the Save button is for pages without scripts).
document.addEventListener("change", (evt) => {
  const form = evt.target.closest && evt.target.closest("form.involvement-form");
  if (form) form.requestSubmit();
});

document.addEventListener("keydown", (evt) => {
  if (evt.key !== "Escape") return;
  const details = evt.target.closest && evt.target.closest("details[open]");
  if (details) {
    details.open = false;
    details.querySelector("summary").focus();
    return;
  }
  if (document.querySelector(".room-layout.details-open")) {
    setDetails(false);
    return;
  }
  const button = toggle();
  if (button && button.getAttribute("aria-expanded") === "true") {
    setSidebar(false);
    button.focus();
  }
});

let pending = false;
const observer = new MutationObserver(() => {
  if (pending) return;
  pending = true;
  queueMicrotask(() => { pending = false; refreshTitle(); });
});
observer.observe(document.body, { childList: true, subtree: true, characterData: true });
observer.observe(document.head, { childList: true, subtree: true, characterData: true });

refreshTitle();

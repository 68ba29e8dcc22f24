// Times and day headings of the message list, worked out in this browser (fragments are the
// same for everyone, so "today", "5 min ago" and local dates can only be computed here):
// - a day heading before the first message of each local day;
// - relative times ("just now", "5 min ago") for the last hour, local clock times after.
// static/js/message_list.js calls these when messages arrive and once a minute.

const MINUTE = 60 * 1000;

function dayKey(date) { return date.getFullYear() + "-" + (date.getMonth() + 1) + "-" + date.getDate(); }

function dayLabel(date) {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(date) === dayKey(today)) return "Today";
  if (dayKey(date) === dayKey(yesterday)) return "Yesterday";
  const sameYear = date.getFullYear() === today.getFullYear();
  return date.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long",
                                       year: sameYear ? undefined : "numeric" });
}

function messageDate(node) {
  const time = node.querySelector("time[datetime]");
  const when = time && new Date(time.getAttribute("datetime"));
  return when && !isNaN(when) ? when : null;
}

function relative(when) {
  const age = Date.now() - when.getTime();
  if (age < MINUTE) return "just now";
  if (age < 60 * MINUTE) return Math.floor(age / MINUTE) + " min ago";
  return when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Relative times for every message time under `root` (a list or one message). */
export function refreshTimes(root) {
  root.querySelectorAll(".message time[datetime]").forEach((el) => {
    const when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) return;
    el.textContent = relative(when);
    el.title = when.toLocaleString();
  });
}

/** Exactly one heading before each day's first message, touching only what changed (the list
 * is a live region: a heading re-created on every message would be re-announced). */
export function refreshDays(list) {
  let previous = null;
  const wanted = new Set();
  list.querySelectorAll(".message").forEach((node) => {
    const when = messageDate(node);
    if (!when) return;
    const key = dayKey(when);
    if (key !== previous) {
      let heading = node.previousElementSibling;
      if (!heading || !heading.classList.contains("day-separator") || heading.dataset.day !== key) {
        heading = document.createElement("h2");
        heading.className = "day-separator";
        heading.dataset.day = key;
        node.before(heading);
      }
      heading.textContent = dayLabel(when);
      wanted.add(heading);
    }
    previous = key;
  });
  list.querySelectorAll(".day-separator").forEach((h) => { if (!wanted.has(h)) h.remove(); });
}

export const TIMELINE_REFRESH_MS = MINUTE;

// The reaction picker's search: opening a message's "React" panel adds a search box over every
// emoji of the server's set (static/vendor/emoji.json, generated from the emoji package at
// build time and fetched once). A result is a submit button of the panel's own form, so the
// choice posts exactly like the quick picks (and the server checks it against the same set).
const SHOWN = 48;
// Relative to this module, so it shares its versioned URL (/static/<version>/...: cached for good).
const EMOJI_URL = new URL("../vendor/emoji.json", import.meta.url);
let catalogue = null;

function load() {
  catalogue = catalogue || fetch(EMOJI_URL).then((r) => r.json());
  return catalogue;
}

function matches(entries, text) {
  const words = text.toLowerCase().trim().split(/\s+/).filter(Boolean);
  const found = [];
  for (const [value, name, aliases] of entries) {
    const haystack = name + " " + aliases.join(" ");
    if (words.every((w) => haystack.includes(w))) found.push([value, name]);
    if (found.length === SHOWN) break;
  }
  return found;
}

function button([value, name]) {
  const b = document.createElement("button");
  b.type = "submit";
  b.name = "emoji";
  b.value = value;
  b.className = "pick";
  b.title = name;
  b.setAttribute("aria-label", "React with " + name);
  b.textContent = value;
  return b;
}

async function open(panel) {
  const form = panel.querySelector("form");
  if (!form || form.querySelector(".emoji-search")) return;
  const search = document.createElement("input");
  search.type = "search";
  search.className = "emoji-search";
  search.placeholder = "Search emoji";
  search.setAttribute("aria-label", "Search emoji");
  const results = document.createElement("div");
  results.className = "emoji-results";
  results.setAttribute("role", "group");
  results.setAttribute("aria-label", "Matching emoji");
  form.append(search, results);
  const entries = await load();
  const show = () => results.replaceChildren(...matches(entries, search.value).map(button));
  search.addEventListener("input", show);
  search.addEventListener("keydown", (evt) => {  // Enter picks the first match, not the form's first button
    if (evt.key !== "Enter") return;
    evt.preventDefault();
    const first = results.querySelector("button");
    if (first) first.click();  // a click, so htmx sends this button's value
  });
  show();
  search.focus();
}

// `toggle` does not bubble; listening in the capture phase catches every panel, swapped or not.
document.addEventListener("toggle", (evt) => {
  const panel = evt.target;
  if (panel.matches && panel.matches("details.reaction-picker") && panel.open) open(panel);
}, true);

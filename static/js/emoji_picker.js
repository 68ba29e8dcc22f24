// The emoji picker, over every emoji of the server's set (static/vendor/emoji.json, generated
// from the emoji package at build time and fetched once), in two places:
// - a message's "React" panel gets a search box; a result is a submit button of the panel's
//   own form, so the choice posts exactly like the quick picks (the server checks the set);
// - the composer's smiley button opens the same search, and a choice is typed into the
//   message at the caret (replacing any selected text).
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

function button([value, name], type = "submit", verb = "React with") {
  const b = document.createElement("button");
  b.type = type;
  b.name = "emoji";
  b.value = value;
  b.className = "pick";
  b.title = name;
  b.setAttribute("aria-label", verb + " " + name);
  b.textContent = value;
  return b;
}

// A search box and its results, appended to `container`; `make` turns a match into a button.
async function addSearch(container, make) {
  const search = document.createElement("input");
  search.type = "search";
  search.className = "emoji-search";
  search.placeholder = "Search emoji";
  search.setAttribute("aria-label", "Search emoji");
  const results = document.createElement("div");
  results.className = "emoji-results";
  results.setAttribute("role", "group");
  results.setAttribute("aria-label", "Matching emoji");
  container.append(search, results);
  const entries = await load();
  const show = () => results.replaceChildren(...matches(entries, search.value).map(make));
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

async function open(panel) {
  const form = panel.querySelector("form");
  if (!form || form.querySelector(".emoji-search")) return;
  await addSearch(form, (match) => button(match));
}

// The composer's picker: its panel (#composer-emoji) is filled on first opening.
function composerParts(from) {
  const composer = from.closest("form");
  return composer && { composer, toggle: composer.querySelector(".emoji-button"),
    panel: composer.querySelector(".composer-emoji"), body: composer.querySelector("textarea") };
}

function insertAtCaret(body, text) {
  body.setRangeText(text, body.selectionStart, body.selectionEnd, "end");
  body.dispatchEvent(new Event("input", { bubbles: true }));  // the composer grows and keeps its draft
  body.focus();
}

function setComposerPicker(parts, open) {
  parts.panel.hidden = !open;
  parts.toggle.setAttribute("aria-expanded", String(open));
  if (!open) return;
  const search = parts.panel.querySelector(".emoji-search");
  if (search) search.focus();
  else addSearch(parts.panel, (match) => {
    const b = button(match, "button", "Insert");
    b.addEventListener("click", () => { insertAtCaret(parts.body, b.value); setComposerPicker(parts, false); });
    return b;
  });
}

document.addEventListener("click", (evt) => {
  const toggle = evt.target.closest && evt.target.closest(".composer .emoji-button");
  if (toggle) {
    const parts = composerParts(toggle);
    setComposerPicker(parts, parts.panel.hidden);
    return;
  }
  const open = document.querySelector(".composer .composer-emoji:not([hidden])");
  if (open && !open.contains(evt.target)) setComposerPicker(composerParts(open), false);
});

document.addEventListener("keydown", (evt) => {
  if (evt.key !== "Escape") return;
  const panel = evt.target.closest && evt.target.closest(".composer-emoji");
  if (!panel) return;
  const parts = composerParts(panel);
  setComposerPicker(parts, false);
  parts.toggle.focus();
});

// `toggle` does not bubble; listening in the capture phase catches every panel, swapped or not.
document.addEventListener("toggle", (evt) => {
  const panel = evt.target;
  if (panel.matches && panel.matches("details.reaction-picker") && panel.open) open(panel);
}, true);

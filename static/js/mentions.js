// @-mention autocompletion in the composer, as an ARIA 1.2 combobox: the textarea is the
// combobox, a listbox of people pops up under it, ↑/↓ move the active option
// (aria-activedescendant, so a screen reader reads it), Enter or Tab picks, Escape closes.
// The names come from the room's member list, which the server keeps live, so a member who
// joined a minute ago is offered too; then everyone else active on the server whose name
// starts so (/users/search, the same suggestions as the invite field), members first.
const LIST_ID = "mention-options";
const MAX_OPTIONS = 8;
const TRIGGER = /(^|[^\w@.])@([A-Za-z0-9_.-]{0,31})$/;

function memberNames() {
  return Array.from(document.querySelectorAll(".member-list .member-name"),
    (el) => el.textContent.trim());
}

const found = new Map();  // prefix -> the server's names for it (one request per prefix)

/** Active people on the server whose names start with `prefix` (never the viewer). */
async function peopleNamed(prefix) {
  if (!found.has(prefix)) {
    found.set(prefix, fetch("/users/search?q=" + encodeURIComponent(prefix), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : ""))
      .then((html) => Array.from(new DOMParser().parseFromString("<datalist>" + html + "</datalist>", "text/html")
        .querySelectorAll("option"), (option) => option.value))
      .catch(() => { found.delete(prefix); return []; }));
  }
  return found.get(prefix);
}

/** The "@partial" just before the caret, or null. */
function query(textarea) {
  if (textarea.selectionStart !== textarea.selectionEnd) return null;
  const match = TRIGGER.exec(textarea.value.slice(0, textarea.selectionStart));
  return match ? { text: match[2], start: textarea.selectionStart - match[2].length } : null;
}

function setUp(textarea) {
  if (textarea.dataset.mentions) return;
  textarea.dataset.mentions = "1";
  const list = document.createElement("ul");
  list.id = LIST_ID;
  list.className = "mention-options";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "People to mention");
  list.hidden = true;
  textarea.after(list);
  textarea.setAttribute("role", "combobox");
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", LIST_ID);
  textarea.setAttribute("aria-expanded", "false");
  let active = -1;
  let current = null;

  const options = () => Array.from(list.children);
  const hide = () => {
    list.hidden = true;
    list.replaceChildren();
    active = -1;
    textarea.setAttribute("aria-expanded", "false");
    textarea.removeAttribute("aria-activedescendant");
  };
  const close = () => { hide(); current = null; };
  const highlight = (index) => {
    const all = options();
    active = (index + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    textarea.setAttribute("aria-activedescendant", all[active].id);
  };
  const pick = (name) => {
    const before = textarea.value.slice(0, current.start);
    const after = textarea.value.slice(textarea.selectionStart);
    textarea.value = before + name + " " + after;
    const caret = before.length + name.length + 1;
    textarea.setSelectionRange(caret, caret);
    close();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));  // drafts and height follow
  };
  const open = () => {
    current = query(textarea);
    if (!current) { close(); return; }
    const wanted = current.text.toLowerCase();
    const members = memberNames().filter((n) => n.toLowerCase().startsWith(wanted));
    show(members);
    if (!wanted || members.length >= MAX_OPTIONS) return;
    const asked = current;
    peopleNamed(wanted).then((people) => {
      if (current !== asked) return;  // typed on or closed meanwhile
      const more = people.filter((n) => !members.some((m) => m.toLowerCase() === n.toLowerCase()));
      if (more.length) show(members.concat(more));
    });
  };
  const show = (all) => {
    const names = all.slice(0, MAX_OPTIONS);
    if (!names.length) { hide(); return; }
    // More names arriving keep the option the arrows had reached.
    const was = active >= 0 && options()[active] ? options()[active].dataset.name : null;
    list.replaceChildren(...names.map((name, i) => {
      const option = document.createElement("li");
      option.id = LIST_ID + "-" + i;
      option.setAttribute("role", "option");
      option.textContent = "@" + name;
      option.dataset.name = name;
      option.addEventListener("mousedown", (evt) => { evt.preventDefault(); pick(name); });
      return option;
    }));
    list.hidden = false;
    textarea.setAttribute("aria-expanded", "true");
    highlight(Math.max(0, names.indexOf(was)));
  };

  textarea.addEventListener("input", (evt) => { if (evt.isTrusted) open(); });
  textarea.addEventListener("blur", close);
  // Capture phase: the picker gets Enter/Tab/arrows before the composer sends or ↑ edits.
  textarea.addEventListener("keydown", (evt) => {
    if (list.hidden) return;
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      highlight(active + (evt.key === "ArrowDown" ? 1 : -1));
    } else if (evt.key === "Enter" || evt.key === "Tab") {
      pick(options()[active].dataset.name);
    } else if (evt.key === "Escape") {
      close();
    } else {
      return;
    }
    evt.preventDefault();
    evt.stopImmediatePropagation();
  }, true);
}

function setUpPage() {
  const textarea = document.querySelector("#composer textarea[name=body]");
  if (textarea) setUp(textarea);
}

document.addEventListener("htmx:afterSettle", setUpPage);
setUpPage();

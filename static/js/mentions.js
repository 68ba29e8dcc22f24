// @-mention autocompletion in the composer, as an ARIA 1.2 combobox: the textarea is the
// combobox, a listbox of people pops up under it, ↑/↓ move the active option
// (aria-activedescendant, so a screen reader reads it), Enter or Tab picks, Escape closes.
// The names come from the room's member list, which the server keeps live, so a member who
// joined a minute ago is offered too; then everyone else active on the server whose name
// starts so (/users/search, the same suggestions as the invite field), members first.
import { register } from "./behaviours.js";

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

// The composer's textarea (data-behaviour="mentions"; a direct room's text is sealed, and
// names in it are not looked up).
register("mentions", class MentionPicker {
  connect(textarea) {
    this.textarea = textarea;
    this.active = -1;
    this.current = null;  // the "@partial" being completed
    this.list = this.listbox();
    textarea.setAttribute("role", "combobox");
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", LIST_ID);
    textarea.setAttribute("aria-expanded", "false");
    textarea.addEventListener("input", (evt) => { if (evt.isTrusted) this.open(); });
    textarea.addEventListener("blur", () => this.close());
    // Capture phase: the picker gets Enter/Tab/arrows before the composer sends or ↑ edits.
    textarea.addEventListener("keydown", (evt) => this.onKey(evt), true);
  }

  disconnect() { this.list.remove(); }

  // The page's own list, or the one a page restored from htmx's history still holds.
  listbox() {
    const kept = document.getElementById(LIST_ID);
    if (kept) kept.remove();
    const list = document.createElement("ul");
    list.id = LIST_ID;
    list.className = "mention-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People to mention");
    list.hidden = true;
    this.textarea.after(list);
    return list;
  }

  options() { return Array.from(this.list.children); }

  hide() {
    this.list.hidden = true;
    this.list.replaceChildren();
    this.active = -1;
    this.textarea.setAttribute("aria-expanded", "false");
    this.textarea.removeAttribute("aria-activedescendant");
  }

  close() { this.hide(); this.current = null; }

  highlight(index) {
    const all = this.options();
    this.active = (index + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === this.active)));
    this.textarea.setAttribute("aria-activedescendant", all[this.active].id);
  }

  pick(name) {
    const textarea = this.textarea;
    const before = textarea.value.slice(0, this.current.start);
    const after = textarea.value.slice(textarea.selectionStart);
    textarea.value = before + name + " " + after;
    const caret = before.length + name.length + 1;
    textarea.setSelectionRange(caret, caret);
    this.close();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));  // drafts and height follow
  }

  // Members first, at once; then the server's other people, if the list has room.
  open() {
    const current = this.current = query(this.textarea);
    if (!current) { this.close(); return; }
    const wanted = current.text.toLowerCase();
    const members = memberNames().filter((n) => n.toLowerCase().startsWith(wanted));
    this.show(members);
    if (!wanted || members.length >= MAX_OPTIONS) return;
    peopleNamed(wanted).then((people) => {
      if (this.current !== current) return;  // typed on or closed meanwhile
      const more = people.filter((n) => !members.some((m) => m.toLowerCase() === n.toLowerCase()));
      if (more.length) this.show(members.concat(more));
    });
  }

  show(all) {
    const names = all.slice(0, MAX_OPTIONS);
    if (!names.length) { this.hide(); return; }
    // More names arriving keep the option the arrows had reached.
    const reached = this.options()[this.active];
    const was = this.active >= 0 && reached ? reached.dataset.name : null;
    this.list.replaceChildren(...names.map((name, i) => this.option(name, i)));
    this.list.hidden = false;
    this.textarea.setAttribute("aria-expanded", "true");
    this.highlight(Math.max(0, names.indexOf(was)));
  }

  option(name, i) {
    const option = document.createElement("li");
    option.id = LIST_ID + "-" + i;
    option.setAttribute("role", "option");
    option.textContent = "@" + name;
    option.dataset.name = name;
    option.addEventListener("mousedown", (evt) => { evt.preventDefault(); this.pick(name); });
    return option;
  }

  onKey(evt) {
    if (this.list.hidden) return;
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      this.highlight(this.active + (evt.key === "ArrowDown" ? 1 : -1));
    } else if (evt.key === "Enter" || evt.key === "Tab") {
      this.pick(this.options()[this.active].dataset.name);
    } else if (evt.key === "Escape") {
      this.close();
    } else {
      return;
    }
    evt.preventDefault();
    evt.stopImmediatePropagation();
  }
});

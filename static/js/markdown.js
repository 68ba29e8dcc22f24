// Message text to safe HTML in the browser, for end-to-end encrypted rooms whose text the
// server never sees. The same subset as the server's app/formatting.py: markdown-it with raw
// HTML off (so <tags> are escaped), linkify, ~~strike~~; no headings or rules; images as plain
// links; links rel="noopener nofollow" in a new tab; javascript:/data: links stay text
// (markdown-it's own validateLink); :shortcode: as the emoji and @name wrapped in a span, like
// the server does (call loadShortcodes() once before rendering: the names come from
// static/vendor/emoji.json, the same emoji package data the server uses).
// The library is vendored by the Makefile from the pinned npm package (static/vendor/).
import "../vendor/markdown-it.min.js";

const MENTION = /(^|[^\w@.\\])@([A-Za-z0-9][A-Za-z0-9_.-]{1,31})/g;
const SHORTCODE = /:([A-Za-z0-9_+\-&.()'’!*]+):/g;
// Relative to this module, so it shares its versioned URL (/static/<version>/...: cached for good).
const EMOJI_URL = new URL("../vendor/emoji.json", import.meta.url);
let shortcodes = null;  // ":name:" -> emoji, once loadShortcodes() has run
let loading = null;

/** Fetch the emoji names (once per tab); renderMarkdown leaves :shortcodes: as text until then. */
export function loadShortcodes() {
  loading = loading || fetch(EMOJI_URL).then((r) => r.json()).then((entries) => {
    const map = new Map();
    for (const [value, name, aliases] of entries) {
      map.set(name.replace(/ /g, "_"), value);  // the CLDR name, as the server's emojize reads it
      for (const alias of aliases) if (!map.has(alias)) map.set(alias, value);
    }
    shortcodes = map;
  }).catch(() => { loading = null; });
  return loading;
}

function emojize(text) {
  if (!shortcodes) return text;
  return text.replace(SHORTCODE, (whole, name) => shortcodes.get(name) || whole);
}

const md = globalThis.markdownit("commonmark", { html: false, linkify: true, breaks: true })
  .enable(["strikethrough", "linkify"])
  .disable(["heading", "lheading", "hr"]);

md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet("rel", "noopener nofollow");
  tokens[idx].attrSet("target", "_blank");
  return self.renderToken(tokens, idx, options);
};

md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  const src = token.attrGet("src") || "";
  const label = self.renderInlineAsText(token.children || [], options, env) || src;
  const escape = md.utils.escapeHtml;
  return `<a href="${escape(src)}" rel="noopener nofollow" target="_blank">${escape(label)}</a>`;
};

// Before text_join: an escaped "\@" is still its own token there, so it starts no mention.
md.core.ruler.before("text_join", "mentions", (state) => {
  for (const block of state.tokens) {
    if (block.type !== "inline" || !block.children) continue;
    const children = [];
    let inLink = 0;
    for (const token of block.children) {
      if (token.type === "link_open") inLink += 1;
      if (token.type === "link_close") inLink -= 1;
      if (token.type !== "text" || inLink) { children.push(token); continue; }
      children.push(...splitMentions(state, emojize(token.content)));
    }
    block.children = children;
  }
});

function splitMentions(state, text) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    const name = match[2].replace(/\.+$/, "");
    const start = match.index + match[1].length;
    out.push(textToken(state, text.slice(last, start)));
    const span = new state.Token("html_inline", "", 0);
    const escape = md.utils.escapeHtml;
    span.content = `<span class="mention" data-username="${escape(name.toLowerCase())}">@${escape(name)}</span>`;
    out.push(span);
    last = start + 1 + name.length;
  }
  out.push(textToken(state, text.slice(last)));
  return out.filter((t) => t.type !== "text" || t.content);
}

function textToken(state, content) {
  const token = new state.Token("text", "", 0);
  token.content = content;
  return token;
}

/** Safe HTML for a decrypted message body (set it as innerHTML of a `.body.formatted`). */
export function renderMarkdown(text) {
  return md.render(text).trim();
}

// Runs before the page is first drawn (a classic script in <head>, not a module), so nothing
// jumps when the modules run:
// - marks the page as scripted, so the styles for scripted pages (folded sidebar on phones,
//   hover toolbars, the composer's file button) apply from the first frame;
// - once the document is parsed ("interactive", before the deferred htmx and modules run:
//   htmx checks at once what is revealed), starts a room's message list at the message its
//   link names, else where the reader left off (the "New" divider, else the newest message): otherwise the list sits
//   at its oldest message, "Older messages" is seen and loaded for nothing, and the list jumps.
//   static/js/message_list.js applies the same rule when it sets the list up.
document.documentElement.classList.add("js");
document.addEventListener("readystatechange", () => {
  if (document.readyState !== "interactive") return;
  const list = document.querySelector(".room .messages");
  if (!list) return;
  const target = location.hash.startsWith("#message-") &&
    document.getElementById(decodeURIComponent(location.hash.slice(1)));
  const linked = target && list.contains(target) ? target : null;
  const divider = list.querySelector("#new-messages-divider");
  if (linked) {
    linked.scrollIntoView({ block: "center" });  // a message's link: the message, highlighted
  } else if (divider) {
    list.scrollTop += divider.getBoundingClientRect().top - list.getBoundingClientRect().top - 8;
  } else {
    list.scrollTop = list.scrollHeight;
  }
});

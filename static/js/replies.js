// Replies: the "Reply" action sets the composer's reply target ("Replying to alice — Cancel"),
// Escape or Cancel clears it, sending clears it; a reply's quote scrolls to its original and
// highlights it when the original is on the page (otherwise its link opens the history page
// that ends with it). Without JavaScript the same links work as pages (?reply_to=, ?before=).

import { focusComposer } from "./composer.js";

function bar() {
  return document.getElementById("reply-bar");
}

function setTarget(id, author) {
  const box = bar();
  if (!box) return false;
  box.querySelector("input[name=reply_to]").value = id;
  box.querySelector(".reply-bar-author").textContent = author;
  const quote = box.querySelector(".reply-quote");
  if (quote) quote.remove();  // the page's quote was for the no-JS target; the name says enough
  box.hidden = false;
  return focusComposer();
}

function clearTarget() {
  const box = bar();
  if (!box || box.hidden) return false;
  box.querySelector("input[name=reply_to]").value = "";
  box.hidden = true;
  return true;
}

function showOriginal(quote) {
  const original = document.getElementById(quote.dataset.quoted);
  if (!original) return false;  // not loaded: the link opens the page that has it
  original.scrollIntoView({ block: "center", behavior: "smooth" });
  original.classList.remove("reply-highlight");
  void original.offsetWidth;  // restart the animation when clicked again
  original.classList.add("reply-highlight");
  original.addEventListener("animationend", () => original.classList.remove("reply-highlight"),
    { once: true });
  return true;
}

// Capture phase: handled here, the click must not reach the page's boosted-link navigation.
document.addEventListener("click", (evt) => {
  const target = evt.target instanceof Element ? evt.target : null;
  if (!target || evt.button !== 0 || evt.ctrlKey || evt.metaKey || evt.shiftKey) return;
  const action = target.closest(".reply-action");
  const quote = target.closest(".reply-quote");
  const handled = (action && setTarget(action.dataset.messageId, action.dataset.author))
    || (target.closest(".reply-cancel") && clearTarget() && focusComposer())
    || (quote && !quote.closest("#reply-bar") && showOriginal(quote));
  if (handled) {
    evt.preventDefault();
    evt.stopPropagation();
  }
}, true);

document.addEventListener("keydown", (evt) => {
  if (evt.key !== "Escape" || evt.defaultPrevented) return;
  if (!(evt.target instanceof Element) || !evt.target.closest("#composer")) return;
  if (clearTarget()) evt.preventDefault();
});

document.addEventListener("parley:sending", clearTarget);

// Copy buttons: <button data-copy="#input-id" hidden> copies that input's value. The button is
// shown only where the Clipboard API exists; without it the read-only input can be selected.

function wire(root) {
  if (!navigator.clipboard || !root.querySelectorAll) return;
  root.querySelectorAll("button[data-copy]").forEach((button) => { button.hidden = false; });
}

document.addEventListener("click", async (evt) => {
  const button = evt.target.closest && evt.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.value);
    button.textContent = "Copied";
  } catch (err) {
    source.select();  // the browser refused: leave it selected for Ctrl+C
  }
});
document.addEventListener("htmx:load", (evt) => wire(evt.detail.elt));
wire(document);

// Composer uploads, on top of the plain multipart form (which works without this file):
// (static/js/composer.js refuses a file over the limit before sending it);
// - show the chosen file (name and size) with a button that removes it;
// - show upload progress from htmx 2's htmx:xhr:progress events;
// - drop or paste any file onto the composer to attach it.
// static/js/main.js calls initUploads() once per tab; the listeners are on the document.
export function initUploads() {

  function composer() { return document.getElementById("composer"); }
  function fileInput() { const c = composer(); return c && c.querySelector("input.file-input"); }
  function progressBar() { return document.getElementById("upload-progress"); }
  function fromComposer(evt) { return evt.detail && evt.detail.elt === composer(); }

  document.addEventListener("htmx:beforeRequest", (evt) => {
    if (!fromComposer(evt) || !evt.detail.requestConfig) return;
    if (!evt.detail.requestConfig.parameters.image) return;
    const bar = progressBar();
    bar.value = 0;
    bar.hidden = false;
  });

  // Fired for the upload and then the (small) download; both end at 100 %.
  document.addEventListener("htmx:xhr:progress", (evt) => {
    const bar = progressBar();
    if (!fromComposer(evt) || !bar || bar.hidden || !evt.detail.lengthComputable) return;
    bar.value = Math.round((100 * evt.detail.loaded) / evt.detail.total);
  });

  // After composer.js's own handler (on the form) has put a refused file back, or not.
  document.addEventListener("htmx:afterRequest", (evt) => {
    const bar = progressBar();
    if (fromComposer(evt) && bar) bar.hidden = true;
    if (fromComposer(evt)) showChosen();
  });

  // The same units as the server's messages (binary: 1 MB = 1024 × 1024 bytes).
  function humanSize(bytes) {
    for (const [unit, scale] of [["MB", 1024 * 1024], ["KB", 1024]]) {
      if (bytes >= scale) return (bytes / scale).toFixed(1).replace(/\.0$/, "") + " " + unit;
    }
    return bytes === 1 ? "1 byte" : bytes + " bytes";
  }

  // The chip under the composer says which file will be sent; × takes it off again.
  function showChosen() {
    const input = fileInput();
    const chip = document.getElementById("chosen-file");
    if (!input || !chip) return;
    const file = input.files && input.files[0];
    chip.hidden = !file;
    chip.querySelector(".chosen-file-name").textContent = file ? file.name : "";
    chip.querySelector(".chosen-file-size").textContent = file ? humanSize(file.size) : "";
  }

  document.addEventListener("change", (evt) => {
    if (evt.target !== fileInput()) return;
    evt.target.removeAttribute("aria-invalid");  // a new choice: the old refusal is moot
    showChosen();
  });
  // composer.js clears the field as a message leaves (its progress bar stays until it arrives).
  document.addEventListener("parley:sending", showChosen);
  document.addEventListener("click", (evt) => {
    if (!evt.target.closest || !evt.target.closest(".chosen-file-remove")) return;
    const input = fileInput();
    if (!input) return;
    input.value = "";
    input.removeAttribute("aria-invalid");
    showChosen();
    const body = composer().querySelector("textarea");
    if (body) body.focus();
  });
  document.addEventListener("htmx:load", showChosen);  // a page shown again keeps its choice
  document.addEventListener("DOMContentLoaded", showChosen);

  function attach(files) {
    const input = fileInput();
    const file = Array.from(files || [])[0];
    if (!input || !file) return false;
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function inComposer(evt) { return evt.target.closest && evt.target.closest("#composer"); }

  document.addEventListener("dragover", (evt) => {
    if (!inComposer(evt) || !evt.dataTransfer.types.includes("Files")) return;
    evt.preventDefault();
    composer().classList.add("dropping");
  });
  document.addEventListener("dragleave", (evt) => {
    if (inComposer(evt)) composer().classList.remove("dropping");
  });
  document.addEventListener("drop", (evt) => {
    if (!inComposer(evt)) return;
    composer().classList.remove("dropping");
    if (attach(evt.dataTransfer.files)) evt.preventDefault();
  });
  document.addEventListener("paste", (evt) => {
    if (!inComposer(evt) || !evt.clipboardData) return;
    const hasText = evt.clipboardData.types.includes("text/plain");
    if (attach(evt.clipboardData.files) && !hasText) evt.preventDefault();
  });
}

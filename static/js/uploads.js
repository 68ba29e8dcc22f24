// Composer uploads, on top of the plain multipart form (which works without this file):
// (static/js/composer.js refuses a file over the limit before sending it);
// - show upload progress from htmx 2's htmx:xhr:progress events;
// - drop or paste an image onto the composer to attach it.
// static/js/main.js calls initUploads() once per tab; the listeners are on the document.
export function initUploads() {

  function composer() { return document.getElementById("composer"); }
  function fileInput() { const c = composer(); return c && c.querySelector("input[name=image]"); }
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

  document.addEventListener("htmx:afterRequest", (evt) => {
    const bar = progressBar();
    if (fromComposer(evt) && bar) bar.hidden = true;
  });

  function attach(files) {
    const input = fileInput();
    const image = Array.from(files || []).find((f) => f.type.startsWith("image/"));
    if (!input || !image) return false;
    const transfer = new DataTransfer();
    transfer.items.add(image);
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

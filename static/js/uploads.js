// Composer uploads, on top of the plain multipart form (which works without this file):
// (static/js/composer.js refuses a file over the limit before sending it);
// - show the chosen file (name and size) with a button that removes it;
// - show upload progress from htmx 2's htmx:xhr:progress events;
// - drop or paste any file onto the composer to attach it.
// A behaviour of a room's composer form (data-behaviour="uploads"; a direct room's files are
// sealed before they leave, see static/js/e2e/files.js, and shown here the same way).

import { register } from "./behaviours.js";

// The same units as the server's messages (binary: 1 MB = 1024 × 1024 bytes).
function humanSize(bytes) {
  for (const [unit, scale] of [["MB", 1024 * 1024], ["KB", 1024]]) {
    if (bytes >= scale) return (bytes / scale).toFixed(1).replace(/\.0$/, "") + " " + unit;
  }
  return bytes === 1 ? "1 byte" : bytes + " bytes";
}

register("uploads", class Uploads {
  connect(form) {
    this.form = form;
    this.input = form.querySelector("input.file-input");
    this.bar = form.querySelector("#upload-progress");
    this.chip = form.querySelector("#chosen-file");
    form.addEventListener("htmx:beforeRequest", (evt) => this.onRequest(evt));
    form.addEventListener("htmx:xhr:progress", (evt) => this.onProgress(evt));
    form.addEventListener("change", (evt) => this.onChange(evt));
    form.addEventListener("parley:sending", () => this.showChosen());  // composer.js cleared the field
    form.addEventListener("click", (evt) => this.onClick(evt));
    form.addEventListener("dragover", (evt) => this.onDragOver(evt));
    form.addEventListener("dragleave", () => form.classList.remove("dropping"));
    form.addEventListener("drop", (evt) => this.onDrop(evt));
    form.addEventListener("paste", (evt) => this.onPaste(evt));
    // On the document, so it runs after composer.js's handler on the form put a refused file back.
    this.afterRequest = (evt) => this.onAnswered(evt);
    document.addEventListener("htmx:afterRequest", this.afterRequest);
    this.showChosen();  // a page shown again keeps its choice
  }

  disconnect() { document.removeEventListener("htmx:afterRequest", this.afterRequest); }

  fromComposer(evt) { return evt.detail && evt.detail.elt === this.form; }

  onRequest(evt) {
    if (!this.fromComposer(evt) || !evt.detail.requestConfig) return;
    if (!evt.detail.requestConfig.parameters.image) return;
    this.bar.value = 0;
    this.bar.hidden = false;
  }

  // Fired for the upload and then the (small) download; both end at 100 %.
  onProgress(evt) {
    if (!this.fromComposer(evt) || this.bar.hidden || !evt.detail.lengthComputable) return;
    this.bar.value = Math.round((100 * evt.detail.loaded) / evt.detail.total);
  }

  onAnswered(evt) {
    if (!this.fromComposer(evt)) return;
    this.bar.hidden = true;
    this.showChosen();
  }

  // The chip under the composer says which file will be sent; × takes it off again.
  showChosen() {
    const file = this.input.files && this.input.files[0];
    this.chip.hidden = !file;
    this.chip.querySelector(".chosen-file-name").textContent = file ? file.name : "";
    this.chip.querySelector(".chosen-file-size").textContent = file ? humanSize(file.size) : "";
  }

  onChange(evt) {
    if (evt.target !== this.input) return;
    this.input.removeAttribute("aria-invalid");  // a new choice: the old refusal is moot
    this.showChosen();
  }

  onClick(evt) {
    if (!evt.target.closest(".chosen-file-remove")) return;
    this.input.value = "";
    this.input.removeAttribute("aria-invalid");
    this.showChosen();
    this.form.querySelector("textarea").focus();
  }

  attach(files) {
    const file = Array.from(files || [])[0];
    if (!file) return false;
    const transfer = new DataTransfer();
    transfer.items.add(file);
    this.input.files = transfer.files;
    this.input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  onDragOver(evt) {
    if (!evt.dataTransfer.types.includes("Files")) return;
    evt.preventDefault();
    this.form.classList.add("dropping");
  }

  onDrop(evt) {
    this.form.classList.remove("dropping");
    if (this.attach(evt.dataTransfer.files)) evt.preventDefault();
  }

  onPaste(evt) {
    if (!evt.clipboardData) return;
    const hasText = evt.clipboardData.types.includes("text/plain");
    if (this.attach(evt.clipboardData.files) && !hasText) evt.preventDefault();
  }
});

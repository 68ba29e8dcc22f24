// Copy buttons: <button data-behaviour="copy" data-copy="#input-id" hidden> copies that
// input's value. The button is shown only where the Clipboard API exists; without it the
// read-only input can be selected.

import { register } from "./behaviours.js";

register("copy", class CopyButton {
  connect(button) {
    if (!navigator.clipboard) return;
    this.button = button;
    button.hidden = false;
    button.addEventListener("click", () => this.copy());
  }

  async copy() {
    const source = document.querySelector(this.button.dataset.copy);
    if (!source) return;
    try {
      await navigator.clipboard.writeText(source.value);
      this.button.textContent = "Copied";
    } catch (err) {
      source.select();  // the browser refused: leave it selected for Ctrl+C
    }
  }
});

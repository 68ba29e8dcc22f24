// How an opened private message shows its encrypted files (static/js/e2e/files.js): an image
// as its thumbnail (decrypted here), which opens the full image in a dialog; any other file as
// a card like a room's (templates/messages/_file.html), whose name downloads it.
// Downloads are fetched, decrypted here and saved under the original name, always as bytes
// (application/octet-stream): nothing from a file runs or renders in the page but an image.

import { fetchAndDecrypt, isImageType } from "./files.js";

const FILE_ICON = '<svg viewBox="0 0 24 24" width="32" height="32" focusable="false"><path d="M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/><path d="M14 2v6h6" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/></svg>';
export const FILE_FAILED = "This file could not be opened: it is missing or was altered.";

/** Replace the file cards of an opened message `node` (placed after its `body`). */
export function showFiles(node, body, files) {
  const old = node.querySelector(".sealed-files");
  if (old) old.remove();
  if (!files.length) return;
  const box = document.createElement("div");
  box.className = "sealed-files";
  for (const record of files) {
    box.append(record.thumb && isImageType(record.type) ? imageCard(record) : fileCard(record));
  }
  body.after(box);
}

function imageCard(record) {
  const link = document.createElement("a");
  link.className = "attachment sealed-image";
  link.href = "#";
  link.title = `${record.name} (${humanSize(record.size)}): open full size`;
  const img = document.createElement("img");
  img.alt = record.name;
  img.width = record.width || 1;
  img.height = record.height || 1;
  link.append(img);
  fetchAndDecrypt(record, "thumb").then((bytes) => {
    img.src = URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" }));
    link.dataset.ready = "yes";
  }).catch(() => { link.replaceWith(failed()); });
  link.addEventListener("click", (evt) => {
    evt.preventDefault();
    openViewer(record);
  });
  return link;
}

function fileCard(record) {
  const card = document.createElement("div");
  card.className = "file-card sealed-file";
  const icon = document.createElement("span");
  icon.className = "file-icon";
  icon.setAttribute("aria-hidden", "true");
  icon.innerHTML = FILE_ICON;  // a constant: nothing from the file
  const about = document.createElement("span");
  about.className = "file-about";
  const name = document.createElement("a");
  name.className = "file-name";
  name.href = "#";
  name.textContent = record.name;
  name.title = `Download ${record.name} (${humanSize(record.size)}), decrypted in your browser`;
  name.addEventListener("click", (evt) => {
    evt.preventDefault();
    download(record, card);
  });
  const size = document.createElement("span");
  size.className = "file-size";
  size.textContent = `· ${humanSize(record.size)}`;
  about.append(name, size);
  card.append(icon, about);
  return card;
}

async function download(record, near) {
  try {
    save(await fetchAndDecrypt(record, "full"), record.name);
  } catch {
    near.after(failed());
  }
}

// Save decrypted bytes under `name` (the download attribute never runs what it saves).
function save(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);  // after the browser has taken the file
}

// The full image in a dialog, with its name and a download button.
async function openViewer(record) {
  const dialog = document.createElement("dialog");
  dialog.className = "confirm-dialog image-viewer";
  const title = document.createElement("p");
  title.className = "image-viewer-name";
  title.textContent = `${record.name} · ${humanSize(record.size)}`;
  const figure = document.createElement("p");
  figure.className = "image-viewer-image";
  figure.textContent = "Decrypting…";
  const actions = document.createElement("p");
  actions.className = "image-viewer-actions";
  const save_ = button("Download", "primary");
  const close = button("Close", "");
  actions.append(save_, " ", close);
  dialog.append(title, figure, actions);
  document.body.append(dialog);
  let url = null;
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (url) URL.revokeObjectURL(url);
    dialog.remove();
  });
  dialog.showModal();
  try {
    const bytes = await fetchAndDecrypt(record, "full");
    url = URL.createObjectURL(new Blob([bytes], { type: record.type }));
    const img = document.createElement("img");
    img.src = url;
    img.alt = record.name;
    figure.replaceChildren(img);
    save_.addEventListener("click", () => save(bytes, record.name));
  } catch {
    figure.textContent = FILE_FAILED;
    save_.disabled = true;
  }
}

function button(text, className) {
  const el = document.createElement("button");
  el.type = "button";
  el.className = className;
  el.textContent = text;
  return el;
}

function failed() {
  const p = document.createElement("p");
  p.className = "sealed-file-failed field-error";
  p.textContent = FILE_FAILED;
  return p;
}

// The same units as the server's messages (binary: 1 MB = 1024 × 1024 bytes).
function humanSize(bytes) {
  for (const [unit, scale] of [["MB", 1024 * 1024], ["KB", 1024]]) {
    if (bytes >= scale) return (bytes / scale).toFixed(1).replace(/\.0$/, "") + " " + unit;
  }
  return bytes === 1 ? "1 byte" : bytes + " bytes";
}

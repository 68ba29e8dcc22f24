// Encrypted files in private conversations.
//
// Sending: each file gets a fresh random AES-GCM-256 key. The file's bytes are encrypted under
// it, and an image also gets a thumbnail drawn in this browser (a canvas, at most THUMB_MAX
// pixels a side), encrypted under the same key with its own IV. Each is uploaded as an opaque
// blob (POST /rooms/<id>/files), which the server stores under a random key of its own. The
// file key, IVs, the blob keys, the original name, type and size go into the message text
// (bodyWithFiles), which is then sealed like any text: the server never sees any of them.
//
// Reading: bodyWithFiles' output is recognised by its first line (FILES_MARK, which holds a NUL
// no composer can type) and split back into text and files; a blob is fetched, decrypted here
// and shown (a thumbnail) or saved under its original name (never opened in the page).

import { fromB64url, randomBytes, toB64url } from "./keys.js";

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
export const FILES_MARK = "\u0000parley/files/v1\n";
const FILE_SCHEME = "parley/v2/file";
const THUMB_MAX = 320;
// Types a thumbnail is drawn for and a full image is shown as: never SVG or HTML.
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const MAX_FILES = 1;

/** The message text to seal: the typed text alone, or with the files' descriptions. */
export function bodyWithFiles(text, files) {
  if (!files.length) return text;
  return FILES_MARK + JSON.stringify({ text, files });
}

/** {text, files} from an opened message text; files is [] for a message without any. */
export function splitBody(plain) {
  if (!plain.startsWith(FILES_MARK)) return { text: plain, files: [] };
  const parsed = JSON.parse(plain.slice(FILES_MARK.length));
  const files = Array.isArray(parsed.files) ? parsed.files.slice(0, MAX_FILES).filter(isFileRecord) : [];
  return { text: typeof parsed.text === "string" ? parsed.text : "", files };
}

function isFileRecord(f) {
  return f && typeof f.blob === "string" && typeof f.key === "string" && typeof f.iv === "string"
    && typeof f.name === "string" && typeof f.size === "number";
}

export function isImageType(type) {
  return IMAGE_TYPES.has(type);
}

/**
 * Encrypt `file` (and a thumbnail if it is an image this browser can draw) and upload the
 * blobs with `upload(bytes) -> blob key`. Returns the record sealed into the message.
 */
export async function encryptAndUpload(file, upload) {
  const fileKey = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true,
    ["encrypt", "decrypt"]);
  const record = { name: file.name || "file", type: file.type || "application/octet-stream",
                   size: file.size };
  const full = await encryptPart(fileKey, "full", await file.arrayBuffer());
  const thumb = isImageType(record.type) ? await thumbnailOf(file) : null;
  record.blob = await upload(full.ciphertext);
  record.iv = full.iv;
  if (thumb) {
    const sealedThumb = await encryptPart(fileKey, "thumb", thumb.bytes);
    record.thumb = await upload(sealedThumb.ciphertext);
    record.thumb_iv = sealedThumb.iv;
    record.thumb_type = thumb.type;
    record.width = thumb.width;
    record.height = thumb.height;
  }
  record.key = toB64url(await subtle.exportKey("raw", fileKey));
  return record;
}

async function encryptPart(key, part, bytes) {
  const iv = randomBytes(12);
  const ciphertext = await subtle.encrypt({ name: "AES-GCM", iv, additionalData: partData(part) },
    key, bytes);
  return { iv: toB64url(iv), ciphertext };
}

/** Fetch a blob by its key and decrypt it: "full" (the file) or "thumb" (its thumbnail). */
export async function fetchAndDecrypt(record, part) {
  const blobKey = part === "thumb" ? record.thumb : record.blob;
  if (!/^[0-9a-f]{32}$/.test(blobKey || "")) throw new Error("bad blob key");
  const response = await fetch(`/files/${blobKey}`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`file: ${response.status}`);
  const key = await subtle.importKey("raw", fromB64url(record.key), "AES-GCM", false, ["decrypt"]);
  const iv = fromB64url(part === "thumb" ? record.thumb_iv : record.iv);
  return subtle.decrypt({ name: "AES-GCM", iv, additionalData: partData(part) }, key,
    await response.arrayBuffer());
}

// The part is bound to its role: the server cannot pass the thumbnail off as the file.
function partData(part) {
  return encoder.encode(JSON.stringify([FILE_SCHEME, part]));
}

// A JPEG at most THUMB_MAX a side, drawn on a canvas; null if this browser cannot decode it.
async function thumbnailOf(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  const scale = Math.min(1, THUMB_MAX / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";  // a transparent PNG's background, as a JPEG cannot keep it
  context.fillRect(0, 0, width, height);
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await new Promise((resolve) => { canvas.toBlob(resolve, "image/jpeg", 0.85); });
  if (!blob) return null;
  return { bytes: await blob.arrayBuffer(), type: "image/jpeg", width, height };
}

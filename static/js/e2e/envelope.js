// Sealing and opening one private message: static-static ECDH between the two identity keys,
// HKDF-SHA-256 with a fresh random salt per message, then AES-GCM-256 with a fresh random IV.
// The additional data binds the ciphertext to its conversation, message id, sender, recipient
// and both key ids, so the server cannot move it anywhere else without decryption failing.
// The sender derives the same key as the recipient, so one ciphertext serves both.

import { fromB64url, importPublicKey, keyParams, randomBytes, toB64url } from "./keys.js";

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
export const SCHEME = "parley/v1/dm";

export function associatedData(ctx) {
  return encoder.encode(JSON.stringify([SCHEME, String(ctx.conversation), String(ctx.clientMsgId),
    String(ctx.senderId), String(ctx.recipientId), String(ctx.senderKeyId),
    String(ctx.recipientKeyId)]));
}

// Encrypt `text`; `mine` and `theirs` are {algorithm, public_key} records, `myPrivateKey` the
// CryptoKey that belongs to `mine`. Returns base64url {ciphertext, iv, salt}.
export async function seal({ text, myPrivateKey, mine, theirs, context }) {
  const salt = randomBytes(32);
  const iv = randomBytes(12);
  const key = await messageKey(myPrivateKey, mine, theirs, salt);
  const ciphertext = await subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: associatedData(context) }, key, encoder.encode(text));
  return { ciphertext: toB64url(ciphertext), iv: toB64url(iv), salt: toB64url(salt) };
}

// Decrypt an envelope; throws if anything was altered or the wrong key is used.
export async function open({ envelope, myPrivateKey, mine, theirs, context }) {
  const key = await messageKey(myPrivateKey, mine, theirs, fromB64url(envelope.salt));
  const plain = await subtle.decrypt(
    { name: "AES-GCM", iv: fromB64url(envelope.iv), additionalData: associatedData(context) },
    key, fromB64url(envelope.ciphertext));
  return new TextDecoder("utf-8", { fatal: true }).decode(plain);
}

async function messageKey(myPrivateKey, mine, theirs, salt) {
  if (mine.algorithm !== theirs.algorithm) throw new Error("the two keys use different algorithms");
  const peerKey = await importPublicKey(theirs.algorithm, theirs.public_key);
  const shared = await subtle.deriveBits(
    { name: keyParams(theirs.algorithm).name, public: peerKey }, myPrivateKey, 256);
  const ikm = await subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const info = encoder.encode([SCHEME, ...[mine.public_key, theirs.public_key].sort()].join("\n"));
  return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt, info }, ikm,
    { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

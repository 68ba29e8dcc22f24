// Sealing and opening private messages.
//
// Version 2 (every direct room, 2-8 people): the text is encrypted once with a fresh random
// AES-GCM-256 content key; that content key is then sealed for each member's current key,
// sender included, under a key derived by static-static ECDH between the sender's key and the
// member's key, HKDF-SHA-256 with a fresh salt. The additional data binds the text to its room,
// message id, sender and sender key, and each sealed copy to its recipient key too, so the
// server cannot move either anywhere else without opening failing.
//
// Version 1 (the old one-to-one conversations, read only): the text itself was encrypted under
// the ECDH-derived key between the two people's keys.

import { fromB64url, importPublicKey, keyParams, randomBytes, toB64url } from "./keys.js";

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
export const SCHEME = "parley/v1/dm";
export const ROOM_SCHEME = "parley/v2/room";

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

// Seal `text` for a direct room. `mine` and each of `recipients` are {id, algorithm,
// public_key}; `context` is {room, clientMsgId, senderId}. Returns the version-2 envelope.
export async function sealForRoom({ text, myPrivateKey, mine, recipients, context }) {
  const contentKey = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true,
    ["encrypt", "decrypt"]);
  const iv = randomBytes(12);
  const ciphertext = await subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: roomData(context, mine.id) }, contentKey,
    encoder.encode(text));
  const raw = await subtle.exportKey("raw", contentKey);
  const keys = [];
  for (const recipient of recipients) {
    const salt = randomBytes(32);
    const keyIv = randomBytes(12);
    const kek = await pairKey(myPrivateKey, mine, recipient, salt, ROOM_SCHEME);
    const sealed = await subtle.encrypt(
      { name: "AES-GCM", iv: keyIv, additionalData: roomData(context, mine.id, recipient.id) },
      kek, raw);
    keys.push({ key: recipient.id, salt: toB64url(salt), iv: toB64url(keyIv),
                sealed: toB64url(sealed) });
  }
  return { v: 2, sender_key: mine.id, iv: toB64url(iv), ciphertext: toB64url(ciphertext), keys };
}

// Open a version-2 envelope with my key `mine` (the one it was sealed for) and the sender's
// key `sender`; throws if anything was altered or the wrong key is used.
export async function openFromRoom({ envelope, myPrivateKey, mine, sender, context }) {
  const entry = envelope.keys.find((k) => k.key === mine.id);
  if (!entry) throw new Error("not sealed for this key");
  const kek = await pairKey(myPrivateKey, mine, sender, fromB64url(entry.salt), ROOM_SCHEME);
  const raw = await subtle.decrypt(
    { name: "AES-GCM", iv: fromB64url(entry.iv),
      additionalData: roomData(context, envelope.sender_key, mine.id) },
    kek, fromB64url(entry.sealed));
  const contentKey = await subtle.importKey("raw", raw, "AES-GCM", false, ["decrypt"]);
  const plain = await subtle.decrypt(
    { name: "AES-GCM", iv: fromB64url(envelope.iv),
      additionalData: roomData(context, envelope.sender_key) },
    contentKey, fromB64url(envelope.ciphertext));
  return new TextDecoder("utf-8", { fatal: true }).decode(plain);
}

function roomData(ctx, senderKeyId, recipientKeyId) {
  const parts = [ROOM_SCHEME, String(ctx.room), String(ctx.clientMsgId), String(ctx.senderId),
                 String(senderKeyId)];
  if (recipientKeyId !== undefined) parts.push(String(recipientKeyId));
  return encoder.encode(JSON.stringify(parts));
}

function messageKey(myPrivateKey, mine, theirs, salt) {
  return pairKey(myPrivateKey, mine, theirs, salt, SCHEME);
}

// HKDF over ECDH(my private key, their public key): the same key on both sides.
async function pairKey(myPrivateKey, mine, theirs, salt, scheme) {
  if (mine.algorithm !== theirs.algorithm) throw new Error("the two keys use different algorithms");
  const peerKey = await importPublicKey(theirs.algorithm, theirs.public_key);
  const shared = await subtle.deriveBits(
    { name: keyParams(theirs.algorithm).name, public: peerKey }, myPrivateKey, 256);
  const ikm = await subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const info = encoder.encode([scheme, ...[mine.public_key, theirs.public_key].sort()].join("\n"));
  return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt, info }, ikm,
    { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

// Identity keys for private messages. A key pair is made in this browser the first time the
// person uses Parley with JavaScript (generateIdentity). Its private half stays in IndexedDB;
// it is extractable only until the person protects it with a passphrase (backUpIdentity), after
// which only a non-extractable copy is kept, and it leaves the browser only wrapped with that
// passphrase (PBKDF2-SHA-256 -> AES-GCM) as a backup the server cannot open.
// Plain ES module with no DOM access, so it runs the same in a page and in tests.

export const PBKDF2_ITERATIONS = 600000;
const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();

export class WrongPassphrase extends Error {
  constructor() {
    super("That passphrase does not unlock your key backup.");
    this.name = "WrongPassphrase";
  }
}

export function toB64url(data) {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromB64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

// WebCrypto parameters for "X25519" or "P-256" (ECDH), the two algorithms Parley accepts.
export function keyParams(algorithm) {
  if (algorithm === "X25519") return { name: "X25519" };
  if (algorithm === "P-256") return { name: "ECDH", namedCurve: "P-256" };
  throw new Error("unknown key algorithm");
}

// X25519 where the browser has it, ECDH P-256 otherwise.
export async function preferredAlgorithm() {
  try {
    await subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
    return "X25519";
  } catch {
    return "P-256";
  }
}

export async function importPublicKey(algorithm, b64) {
  return subtle.importKey("raw", fromB64url(b64), keyParams(algorithm), true, []);
}

// A new identity with no passphrase yet: the public key to publish and the private key to keep
// (extractable, because a key can be wrapped for its backup only while it is).
export async function generateIdentity(algorithm) {
  const pair = await subtle.generateKey(keyParams(algorithm), true, ["deriveBits"]);
  const publicKey = toB64url(await subtle.exportKey("raw", pair.publicKey));
  return { algorithm, publicKey, privateKey: pair.privateKey };
}

// Wrap an extractable private key with a passphrase: the backup to upload, and the
// non-extractable copy of the key to keep from now on.
export async function backUpIdentity(privateKey, algorithm, passphrase,
                                     iterations = PBKDF2_ITERATIONS) {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const kek = await passphraseKey(passphrase, salt, iterations);
  const wrapped = await subtle.wrapKey("pkcs8", privateKey, kek, { name: "AES-GCM", iv });
  const backup = { algorithm, wrapped_key: toB64url(wrapped), salt: toB64url(salt),
                   iv: toB64url(iv), iterations };
  return { backup, privateKey: await unwrapWith(kek, backup) };
}

// A new identity and its backup at once: the non-extractable private key to keep.
export async function createIdentity(passphrase, algorithm, iterations = PBKDF2_ITERATIONS) {
  const identity = await generateIdentity(algorithm);
  const { backup, privateKey } = await backUpIdentity(identity.privateKey, algorithm, passphrase,
                                                      iterations);
  return { algorithm, publicKey: identity.publicKey, backup, privateKey };
}

// The non-extractable private key inside a backup; WrongPassphrase if it does not open.
export async function unwrapPrivateKey(backup, passphrase) {
  const kek = await passphraseKey(passphrase, fromB64url(backup.salt), backup.iterations);
  try {
    return await unwrapWith(kek, backup);
  } catch {
    throw new WrongPassphrase();
  }
}

// A key's fingerprint: SHA-256 over its raw public key bytes, base64url. Keys are pinned by it,
// never by the id the server gave them: a server can keep an id and change what is behind it.
export async function fingerprint(publicKeyB64) {
  return toB64url(await subtle.digest("SHA-256", fromB64url(publicKeyB64)));
}

// The algorithm of a private CryptoKey, as Parley names it.
export function algorithmOf(privateKey) {
  return privateKey.algorithm.name === "X25519" ? "X25519" : "P-256";
}

// Whether `publicKeyB64` is the public half of `privateKey` (which may be non-extractable):
// a fresh throwaway key pair agrees on one secret with each side only if they are one pair.
export async function keyPairMatches(privateKey, publicKeyB64) {
  const algorithm = algorithmOf(privateKey);
  const params = keyParams(algorithm);
  try {
    const probe = await subtle.generateKey(params, false, ["deriveBits"]);
    const claimed = await importPublicKey(algorithm, publicKeyB64);
    const bits = (priv, pub) => subtle.deriveBits({ name: params.name, public: pub }, priv, 256);
    const [a, b] = [new Uint8Array(await bits(privateKey, probe.publicKey)),
                    new Uint8Array(await bits(probe.privateKey, claimed))];
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  } catch {
    return false;  // not a key of this algorithm, or a weak point WebCrypto refuses
  }
}

// Safety number: SHA-256 over both public keys in sorted order, as 8 groups of 5 digits.
// Both people see the same digits; a server that swapped a key cannot keep them equal.
export async function safetyNumber(publicKeyA, publicKeyB) {
  const [first, second] = [publicKeyA, publicKeyB].sort();
  const digest = await subtle.digest("SHA-256",
    encoder.encode(`parley/v1/safety\n${first}\n${second}`));
  const view = new DataView(digest);
  const groups = [];
  for (let i = 0; i < 8; i++) groups.push(String(view.getUint32(i * 4) % 100000).padStart(5, "0"));
  return groups.join(" ");
}

export const VERIFY_PREFIX = "PARLEY-VERIFY:1:";

// What a verification QR code holds: the full SHA-256 the safety number is cut from (the two
// public keys, sorted), so both people's codes are equal exactly when their numbers are.
export async function safetyCode(publicKeyA, publicKeyB) {
  const [first, second] = [publicKeyA, publicKeyB].sort();
  const digest = await subtle.digest("SHA-256",
    encoder.encode(`parley/v1/safety\n${first}\n${second}`));
  return VERIFY_PREFIX + Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function passphraseKey(passphrase, salt, iterations) {
  const base = await subtle.importKey("raw", encoder.encode(passphrase), "PBKDF2", false,
    ["deriveKey"]);
  return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base,
    { name: "AES-GCM", length: 256 }, false, ["wrapKey", "unwrapKey"]);
}

async function unwrapWith(kek, backup) {
  return subtle.unwrapKey("pkcs8", fromB64url(backup.wrapped_key), kek,
    { name: "AES-GCM", iv: fromB64url(backup.iv) }, keyParams(backup.algorithm), false,
    ["deriveBits"]);
}

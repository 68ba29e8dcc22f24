// What this browser keeps in IndexedDB (database "parley-e2e"):
// - "private-keys": my key pairs, as {userId, keyId, privateKey, publicKey, algorithm} under
//   "<me>:<key id>". The private key is a CryptoKey stored by structured clone (non-extractable
//   once backed up); the public key is kept beside it, so my own public key never has to come
//   from the server. A key not published yet waits under "<me>:pending" (a key is stored here
//   before it is published, never after). Records written before version 2 have no publicKey.
// - "pins": per contact, the fingerprints of every key of theirs this browser has accepted, and
//   the one the person marked as verified: {me, peer, fingerprints: [...], verified} under
//   "<me>:<peer>".
// Before version 2 the browser remembered only the key id it last saw for each contact, in
// localStorage (lastSeenKey); room.js turns that into a pin the first time it meets the contact.

const DB_NAME = "parley-e2e";
const DB_VERSION = 2;
const KEYS = "private-keys";
const PINS = "pins";

// Keep one of my key pairs: `keyId` null while it is not published yet. Resolves once the
// transaction has committed, so a page closed right after cannot lose the key.
export async function saveOwnKey(userId, keyId, { privateKey, publicKey, algorithm }) {
  const record = { userId: String(userId), keyId: keyId === null ? null : Number(keyId),
                   privateKey, publicKey: publicKey || null, algorithm: algorithm || null };
  await write([KEYS], (tx) => {
    const store = tx.objectStore(KEYS);
    store.put(record, ownName(userId, keyId));
    if (keyId !== null) {
      // the pending key, once it has an id, lives under that id only
      const pending = store.get(ownName(userId, null));
      pending.onsuccess = () => {
        if (pending.result && pending.result.publicKey === record.publicKey) {
          store.delete(ownName(userId, null));
        }
      };
    }
  });
}

// My key pairs held here: {keys: Map of key id -> record, pending: record or null}.
export async function loadOwnKeys(userId) {
  const rows = await read(KEYS, (store) => store.getAll());
  const mine = rows.filter((r) => r.userId === String(userId));
  return {
    keys: new Map(mine.filter((r) => r.keyId !== null && r.keyId !== undefined)
      .map((r) => [r.keyId, r])),
    pending: mine.find((r) => r.keyId === null || r.keyId === undefined) || null,
  };
}

// The pin for a contact, or null if this browser has never accepted a key of theirs.
export async function loadPin(me, peer) {
  const pin = await read(PINS, (store) => store.get(pinName(me, peer)));
  return pin || null;
}

export async function savePin(pin) {
  await write([PINS], (tx) => tx.objectStore(PINS).put(pin, pinName(pin.me, pin.peer)));
}

// Ask the browser not to evict the keys under storage pressure (best effort).
export async function requestPersistence() {
  try {
    if (navigator.storage && navigator.storage.persist) return await navigator.storage.persist();
  } catch {
    // Not granted is not an error: the passphrase backup is what keeps keys safe.
  }
  return false;
}

// The key id a contact was last seen with before pins existed (null if none).
export function lastSeenKey(me, peer) {
  const value = localStorage.getItem(seenName(me, peer));
  return value === null ? null : Number(value);
}

export function forgetSeenKey(me, peer) {
  localStorage.removeItem(seenName(me, peer));
}

function seenName(me, peer) {
  return `parley-e2e-seen:${me}:${peer}`;
}

function ownName(userId, keyId) {
  return keyId === null ? `${userId}:pending` : `${userId}:${keyId}`;
}

function pinName(me, peer) {
  return `${me}:${peer}`;
}

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(KEYS)) db.createObjectStore(KEYS);
      if (!db.objectStoreNames.contains(PINS)) db.createObjectStore(PINS);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function read(storeName, ask) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const req = ask(db.transaction(storeName).objectStore(storeName));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

// Run `work` in one readwrite transaction; resolves when it has committed.
async function write(storeNames, work) {
  const db = await openDb();
  try {
    await new Promise((resolve, reject) => {
      const tx = db.transaction(storeNames, "readwrite");
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("the key store refused the write"));
      work(tx);
    });
  } finally {
    db.close();
  }
}

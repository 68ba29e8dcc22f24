// Where this browser keeps private keys (IndexedDB, as non-extractable CryptoKeys stored by
// structured clone) and which key of each contact it last saw (localStorage).

const DB_NAME = "parley-e2e";
const STORE = "private-keys";

export async function savePrivateKey(userId, keyId, privateKey) {
  const db = await openDb();
  try {
    await request(db.transaction(STORE, "readwrite").objectStore(STORE)
      .put({ userId: String(userId), keyId: Number(keyId), privateKey }, `${userId}:${keyId}`));
  } finally {
    db.close();
  }
}

// Every private key this browser holds for the user, as a Map from key id to CryptoKey.
export async function loadPrivateKeys(userId) {
  const db = await openDb();
  try {
    const rows = await request(db.transaction(STORE).objectStore(STORE).getAll());
    return new Map(rows.filter((r) => r.userId === String(userId))
      .map((r) => [r.keyId, r.privateKey]));
  } finally {
    db.close();
  }
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

export function lastSeenKey(me, peer) {
  const value = localStorage.getItem(seenName(me, peer));
  return value === null ? null : Number(value);
}

export function rememberSeenKey(me, peer, keyId) {
  localStorage.setItem(seenName(me, peer), String(keyId));
}

function seenName(me, peer) {
  return `parley-e2e-seen:${me}:${peer}`;
}

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

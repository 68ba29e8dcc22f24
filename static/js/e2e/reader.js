// Shows private messages: one htmx.onLoad hook decrypts every message fragment htmx puts on
// the page, whether it came with the page, a catch-up, the composer's reply or a socket.
// Text goes in with textContent only; a message that does not open says so, never garbage.

import { open } from "./envelope.js";

export const CANNOT_DECRYPT = "cannot decrypt this message";
let session = null;

// Start decrypting with `next` ({me, peer, conversation, privateKeys, keyOf}), including the
// messages already on the page; messages that failed before are tried again (a key may have
// been restored since).
export function useSession(next, root) {
  session = next;
  return decryptWithin(root, true);
}

export function decryptWithin(root, retry = false) {
  if (!session || !root || !root.querySelectorAll) return Promise.resolve();
  const nodes = Array.from(root.querySelectorAll(".dm-message"));
  if (root.matches && root.matches(".dm-message")) nodes.push(root);
  const todo = nodes.filter((n) => !n.dataset.decrypted || (retry && n.dataset.decrypted === "failed"));
  return Promise.all(todo.map((node) => decryptMessage(node, session)));
}

export async function decryptMessage(node, s) {
  node.dataset.decrypted = "pending";
  const body = node.querySelector(".body");
  try {
    const text = await open(await envelopeOf(node, s));
    body.textContent = text;
    body.classList.remove("encrypted", "undecryptable");
    node.dataset.decrypted = "yes";
  } catch {
    body.textContent = CANNOT_DECRYPT;
    body.classList.remove("encrypted");
    body.classList.add("undecryptable");
    node.dataset.decrypted = "failed";
  }
}

async function envelopeOf(node, s) {
  const d = node.dataset;
  const senderId = d.authorId;
  const mineSent = senderId === String(s.me);
  const recipientId = mineSent ? String(s.peer) : String(s.me);
  if (!mineSent && senderId !== String(s.peer)) throw new Error("not from this conversation");
  const senderKeyId = Number(d.senderKeyId);
  const recipientKeyId = Number(d.recipientKeyId);
  const [myKeyId, theirKeyId] = mineSent ? [senderKeyId, recipientKeyId] : [recipientKeyId, senderKeyId];
  const myPrivateKey = s.privateKeys.get(myKeyId);
  const mine = await s.keyOf(s.me, myKeyId);
  const theirs = await s.keyOf(s.peer, theirKeyId);
  if (!myPrivateKey || !mine || !theirs) throw new Error("this browser lacks a key");
  return {
    envelope: { ciphertext: d.ciphertext, iv: d.iv, salt: d.salt },
    myPrivateKey, mine, theirs,
    context: { conversation: s.conversation, clientMsgId: d.clientMsgId, senderId, recipientId,
               senderKeyId, recipientKeyId },
  };
}

if (globalThis.htmx) globalThis.htmx.onLoad((node) => { decryptWithin(node); });

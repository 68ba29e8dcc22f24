// Shows private messages: one htmx.onLoad hook opens every sealed message fragment htmx puts
// on the page, whether it came with the page, a catch-up, the composer's reply or a socket.
// The opened text is rendered by the same Markdown subset as the server's messages
// (static/js/markdown.js: raw HTML escaped, unsafe links left as text), and its encrypted
// files as cards (static/js/e2e/file_cards.js); a message that does not open says so, never
// garbage.

import { loadShortcodes, renderMarkdown } from "../markdown.js";
import { decorate } from "../message_list.js";
import { open, openFromRoom } from "./envelope.js";
import { splitBody } from "./files.js";
import { showFiles } from "./file_cards.js";

export const CANNOT_DECRYPT = "cannot decrypt this message";
export const NOT_FOR_YOU = "Not available to you: sent before you joined this conversation.";
export const UNACCEPTED_SENDER = "Sent with a key this browser has not accepted for them: it may not be from them. Compare safety numbers.";
let session = null;

class NotForMe extends Error {}

// Start opening messages with `next` (see room.js makeSession), including those already on
// the page; messages that failed before are tried again (a key may have been restored since).
export function useSession(next, root) {
  session = next;
  return openWithin(root, true);
}

export function openWithin(root, retry = false) {
  if (!session || !root || !root.querySelectorAll) return Promise.resolve();
  const nodes = Array.from(root.querySelectorAll(".message.sealed"));
  if (root.matches && root.matches(".message.sealed")) nodes.push(root);
  const todo = nodes.filter((n) => !n.dataset.decrypted || (retry && n.dataset.decrypted !== "yes"));
  return Promise.all(todo.map((node) => openMessage(node, session)));
}

async function openMessage(node, s) {
  node.dataset.decrypted = "pending";
  const body = node.querySelector(".body");
  if (!body) return;
  try {
    const envelope = JSON.parse(node.dataset.envelope);
    const { text, files } = splitBody(await openEnvelope(envelope, node.dataset, s));
    await loadShortcodes();  // a failed fetch leaves :shortcodes: as typed
    body.innerHTML = renderMarkdown(text);
    showFiles(node, body, files);
    await markSender(node, body, envelope, s);
    body.classList.remove("encrypted", "undecryptable", "not-for-me");
    body.classList.add("formatted");
    decorate(node);  // a mention of me in the text stands out, as in other rooms
    node.dataset.decrypted = "yes";
  } catch (err) {
    const notForMe = err instanceof NotForMe;
    body.textContent = notForMe ? NOT_FOR_YOU : CANNOT_DECRYPT;
    body.classList.remove("encrypted", "formatted");
    body.classList.add(notForMe ? "not-for-me" : "undecryptable");
    node.dataset.decrypted = notForMe ? "not-for-me" : "failed";
  }
}

// A message opened with a sender key that is not one this browser accepted for its author
// says so under the text: the server could have made that key.
async function markSender(node, body, envelope, s) {
  const old = node.querySelector(".unaccepted-sender");
  if (old) old.remove();
  const sender = envelope.v === 2 ? s.keyById(envelope.sender_key) : null;
  if (!sender || !s.unacceptedSender || !await s.unacceptedSender(node.dataset.authorId, sender)) return;
  const note = document.createElement("p");
  note.className = "unaccepted-sender";
  note.textContent = UNACCEPTED_SENDER;
  body.after(note);
}

function openEnvelope(envelope, d, s) {
  if (envelope.v === 2) return openVersion2(envelope, d, s);
  if (envelope.v === 1) return openVersion1(envelope, d, s);
  throw new Error("unknown envelope");
}

async function openVersion2(envelope, d, s) {
  const entry = envelope.keys.find((k) => s.privateKeys.has(k.key));
  if (!entry) {
    const mineOnServer = envelope.keys.some((k) => { const key = s.keyById(k.key); return key && key.owner === s.me; });
    if (!mineOnServer) throw new NotForMe();
    throw new Error("this browser lacks the key it was sealed for");
  }
  const mine = s.keyById(entry.key);
  const sender = s.keyById(envelope.sender_key);
  // The sender key must be the author's: nobody can pass a message off as someone else's.
  if (!mine || !sender || sender.owner !== d.authorId || mine.owner !== s.me) {
    throw new Error("unknown keys");
  }
  return openFromRoom({ envelope, myPrivateKey: s.privateKeys.get(entry.key), mine, sender,
                        context: { room: s.room, clientMsgId: d.clientMsgId, senderId: d.authorId } });
}

// The old one-to-one conversations: the text was sealed between the two people's keys.
async function openVersion1(envelope, d, s) {
  const sentByMe = d.authorId === s.me;
  const [myKeyId, theirKeyId] = sentByMe ? [envelope.sender_key, envelope.recipient_key]
    : [envelope.recipient_key, envelope.sender_key];
  const mine = s.keyById(myKeyId);
  const theirs = s.keyById(theirKeyId);
  const myPrivateKey = s.privateKeys.get(Number(myKeyId));
  if (!myPrivateKey || !mine || !theirs || mine.owner !== s.me) throw new Error("this browser lacks a key");
  return open({
    envelope, myPrivateKey, mine, theirs,
    context: { conversation: envelope.conversation, clientMsgId: d.clientMsgId,
               senderId: d.authorId, recipientId: envelope.recipient,
               senderKeyId: envelope.sender_key, recipientKeyId: envelope.recipient_key },
  });
}

htmx.onLoad((node) => { openWithin(node); });

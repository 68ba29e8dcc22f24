// The private-message composer: encrypts in the browser and posts ciphertext only. The
// textarea has no name, so the plaintext is never part of any form submission.

import { seal } from "./envelope.js";

export function newClientMsgId() {
  return globalThis.crypto.randomUUID().replace(/-/g, "");
}

// Wire `form` (once) to the page's current session, read through `getSession()` because a
// new or restored key replaces it; `checkPeer()` resolves to true when it is safe to send (the
// contact's key is the one the user accepted) and shows the warning otherwise.
export function setUpComposer(form, getSession, { checkPeer, onSent }) {
  if (form.dataset.ready) return;
  form.dataset.ready = "1";
  const textarea = form.querySelector("textarea");
  const errorBox = form.querySelector(".composer-error");
  const max = Number(form.dataset.maxChars || 10000);
  textarea.addEventListener("keydown", (evt) => {
    if (evt.key === "Enter" && !evt.shiftKey && !evt.isComposing) {
      evt.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (evt) => {
    evt.preventDefault();
    const text = textarea.value.trim();
    if (!text || form.dataset.busy) return;
    if (text.length > max) return showError(errorBox, `Messages can be at most ${max.toLocaleString()} characters.`);
    form.dataset.busy = "1";
    try {
      if (!(await checkPeer())) return;
      await fillEnvelope(form, getSession(), text);
      const response = await post(form);
      if (response.ok) {
        sent(form, textarea, errorBox, await response.text(), onSent);
      } else {
        errorBox.innerHTML = await response.text(); // server-rendered, escaped fragment
        if (response.status === 409) await checkPeer();
      }
    } catch {
      showError(errorBox, "Sending failed. Check your connection and try again.");
    } finally {
      delete form.dataset.busy;
    }
  });
}

async function fillEnvelope(form, session, text) {
  const peerKey = session.peerCurrent;
  const myKey = session.myCurrent;
  const clientMsgId = form.elements.client_msg_id.value;
  const envelope = await seal({
    text, myPrivateKey: session.privateKeys.get(myKey.id), mine: myKey, theirs: peerKey,
    context: { conversation: session.conversation, clientMsgId, senderId: session.me,
               recipientId: session.peer, senderKeyId: myKey.id, recipientKeyId: peerKey.id },
  });
  form.elements.ciphertext.value = envelope.ciphertext;
  form.elements.iv.value = envelope.iv;
  form.elements.salt.value = envelope.salt;
  form.elements.sender_key_id.value = myKey.id;
  form.elements.recipient_key_id.value = peerKey.id;
}

function post(form) {
  return fetch(form.action, {
    method: "POST", body: new FormData(form), credentials: "same-origin",
    headers: { "HX-Request": "true", "X-CSRF-Token": form.elements.csrf_token.value },
  });
}

function sent(form, textarea, errorBox, html, onSent) {
  for (const name of ["ciphertext", "iv", "salt"]) form.elements[name].value = "";
  form.elements.client_msg_id.value = newClientMsgId();
  textarea.value = "";
  errorBox.textContent = "";
  onSent(html);
  textarea.focus();
}

function showError(box, text) {
  box.textContent = "";
  const p = document.createElement("p");
  p.className = "field-error";
  p.textContent = text;
  box.append(p);
}

// Verifying a contact by QR code, face to face: a dialog shows my code for this contact (made
// from my key as this browser holds it and the key of theirs this browser accepted, see
// safetyCode in keys.js) and "Scan their code" reads theirs with the camera (getUserMedia,
// frames decoded by jsQR). Both codes are equal exactly when both screens would show the same
// safety number: a match marks the contact verified (the `onMatch` callback), a mismatch is a
// red warning and marks nothing. Nothing here is sent anywhere.
//
// The two libraries are the pinned npm packages jsqr and qrcode-generator, copied to
// static/vendor by the Makefile; they load only when the dialog opens.

import { VERIFY_PREFIX } from "./keys.js";

const QRCODE_URL = new URL("../../vendor/qrcode-generator.js", import.meta.url);
const JSQR_URL = new URL("../../vendor/jsQR.js", import.meta.url);
export const MATCHED = "The codes match: you have verified";
export const MISMATCH = "These codes do not match.";

/** Open the dialog for `name`, whose code is `code`; `onMatch()` marks them verified. */
export async function openQrVerification({ name, code, onMatch }) {
  const dialog = build(name);
  document.body.append(dialog);
  let stopCamera = () => {};
  dialog.addEventListener("close", () => { stopCamera(); dialog.remove(); });
  dialog.querySelector("[data-action=close]").addEventListener("click", () => dialog.close());
  dialog.showModal();
  dialog.querySelector(".qr-code").replaceChildren(await codeImage(code, name));
  const scanButton = dialog.querySelector("[data-action=scan]");
  scanButton.addEventListener("click", async () => {
    scanButton.disabled = true;
    stopCamera = await scan(dialog, async (scanned) => {
      if (scanned === code) {
        await onMatch();
        say(dialog, "qr-result ok", `✓ ${MATCHED} ${name}.`);
      } else {
        say(dialog, "qr-result danger",
          `${MISMATCH} The key this browser has for ${name}, or the one their browser has for ` +
          "you, is not the one the other screen uses. Do not mark them as verified; someone " +
          "may be listening in.");
      }
      scanButton.disabled = false;
    });
  });
  return dialog;
}

function build(name) {
  const dialog = document.createElement("dialog");
  dialog.className = "confirm-dialog qr-dialog";
  dialog.setAttribute("aria-label", `Verify ${name} by QR code`);
  const heading = document.createElement("h2");
  heading.textContent = `Verify ${name}`;
  const help = document.createElement("p");
  help.className = "small";
  help.textContent = `Meet ${name}, open this on both screens, and scan each other's code.`;
  const figure = document.createElement("div");
  figure.className = "qr-code";
  figure.textContent = "Making your code…";
  const video = document.createElement("video");
  video.className = "qr-video";
  video.muted = true;
  video.playsInline = true;
  video.hidden = true;
  const result = document.createElement("p");
  result.className = "qr-result";
  result.setAttribute("role", "status");
  const actions = document.createElement("p");
  actions.className = "qr-actions";
  actions.append(button("Scan their code", "primary", "scan"), " ", button("Close", "", "close"));
  dialog.append(heading, help, figure, video, result, actions);
  return dialog;
}

async function codeImage(code, name) {
  const { default: qrcode } = await import(QRCODE_URL.href);
  const qr = qrcode(0, "M");
  qr.addData(code);
  qr.make();
  const img = document.createElement("img");
  img.src = qr.createDataURL(6, 4);  // a data: URL, which the page's CSP allows for images
  img.alt = `Your verification code for ${name}`;
  img.className = "qr-image";
  return img;
}

// Read frames from the camera until one holds a Parley code; `found(text)` gets it. Returns
// the function that stops the camera.
async function scan(dialog, found) {
  const video = dialog.querySelector(".qr-video");
  let stream;
  try {
    await import(JSQR_URL.href);  // sets globalThis.jsQR
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    dialog.querySelector("[data-action=scan]").disabled = false;
    say(dialog, "qr-result danger", "The camera could not be opened. Allow the camera for " +
      "this site, or compare the safety numbers by reading them out instead.");
    return () => {};
  }
  say(dialog, "qr-result muted", "Point the camera at their code…");
  video.srcObject = stream;
  video.hidden = false;
  await video.play().catch(() => {});
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let running = true;
  const stop = () => {
    running = false;
    stream.getTracks().forEach((track) => track.stop());
    video.hidden = true;
  };
  const tick = () => {
    if (!running) return;
    if (video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      const code = globalThis.jsQR(frame.data, frame.width, frame.height);
      if (code && code.data.startsWith(VERIFY_PREFIX)) {
        stop();
        found(code.data);
        return;
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return stop;
}

function say(dialog, className, text) {
  const result = dialog.querySelector(".qr-result");
  result.className = className;
  result.textContent = text;
}

function button(text, className, action) {
  const el = document.createElement("button");
  el.type = "button";
  el.className = className;
  el.dataset.action = action;
  el.textContent = text;
  return el;
}

// Behaviours: a component lifecycle for the page, in the manner of Stimulus controllers but
// without a framework. An element names what it does, `<form data-behaviour="composer">`,
// and a module registers the class that does it:
//
//   register("composer", class Composer {
//     connect(element) { … }   // the element entered the page: listen, observe, draw
//     disconnect() { … }       // it is leaving: undo what connect did outside the element
//   });
//
// Each name on an element gets one instance, once, whichever way the element arrived: the
// first page (scanned when a behaviour registers, so the order of the imports in main.js does
// not matter), an htmx swap or a boosted navigation, an out-of-band swap, a socket frame (all
// announced by htmx.onLoad). An instance disconnects when htmx cleans its element up before
// removing it (htmx:beforeCleanupElement, fired for every element a swap removes), or, for an
// element that script code removes itself (a notice read and dropped, a node moved away), when
// a MutationObserver sees it has left the document: htmx announces only its own removals.
// An element that script code puts in the page itself connects by connectAdded(element).
// The registry keys instances by the element, never by a data attribute: a page that htmx
// restores from its history cache is a copy of the old markup, and gets fresh instances.
//
// Every connect and disconnect is announced as a bubbling `behaviour:connect` /
// `behaviour:disconnect` event (detail: the name and the element), for tests and debugging.
// Listeners that must exist once per tab (document-level delegation, timers) stay at the top
// level of their modules, outside any behaviour.

const classes = new Map();   // name -> the registered class
const live = new Map();      // element -> Map(name -> instance), every connected element

/** Make elements with `data-behaviour` naming `name` get an instance of `Behaviour`. */
export function register(name, Behaviour) {
  if (classes.has(name)) throw new Error(`behaviour "${name}" is registered twice`);
  classes.set(name, Behaviour);
  if (document.body) connectWithin(document.body);
}

/** The instance of behaviour `name` on `element`, or undefined (for modules working together). */
export function instanceOf(element, name) {
  const instances = live.get(element);
  return instances && instances.get(name);
}

/** Connect `root` and the elements in it that script code put in the page: htmx announces only
 *  what it swaps in (and htmx.process() announces nothing). */
export function connectAdded(root) {
  connectWithin(root);
}

function namesOf(element) {
  return (element.getAttribute("data-behaviour") || "").split(/\s+/).filter(Boolean);
}

function connectWithin(root) {
  if (!(root instanceof Element)) return;
  if (root.matches("[data-behaviour]")) connectElement(root);
  root.querySelectorAll("[data-behaviour]").forEach(connectElement);
}

function connectElement(element) {
  if (!element.isConnected) return;
  for (const name of namesOf(element)) {
    const Behaviour = classes.get(name);
    if (!Behaviour || instanceOf(element, name)) continue;
    if (!live.has(element)) live.set(element, new Map());
    const instances = live.get(element);
    const instance = new Behaviour();
    instances.set(name, instance);
    if (instance.connect) run(() => instance.connect(element), name);
    announce(element, "behaviour:connect", name);
  }
}

function disconnectElement(element) {
  const instances = live.get(element);
  if (!instances) return;
  live.delete(element);
  instances.forEach((instance, name) => {
    if (instance.disconnect) run(() => instance.disconnect(), name);
    announce(element, "behaviour:disconnect", name);
  });
}

// One behaviour failing must not keep the others on the page from working.
function run(step, name) {
  try { step(); } catch (error) { console.error(`behaviour "${name}":`, error); }
}

// On the element, or on the document once the element has left it (events on a detached
// element reach no listener above it).
function announce(element, type, name) {
  const event = new CustomEvent(type, { bubbles: true, detail: { behaviour: name, element } });
  (element.isConnected ? element : document).dispatchEvent(event);
}

// Elements removed without htmx: checked once the current task's moves are done (a node
// taken out and put back elsewhere, as the message list does, stays connected).
let sweeping = false;
function sweepRemoved() {
  sweeping = false;
  for (const element of Array.from(live.keys())) {
    if (!element.isConnected) disconnectElement(element);
  }
}
const removals = new MutationObserver((records) => {
  if (sweeping || !live.size || !records.some((r) => r.removedNodes.length)) return;
  sweeping = true;
  queueMicrotask(sweepRemoved);
});

htmx.onLoad(connectWithin);
document.addEventListener("htmx:beforeCleanupElement", (evt) => disconnectElement(evt.target));
removals.observe(document.documentElement, { childList: true, subtree: true });

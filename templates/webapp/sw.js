// Parley's service worker: keeps the application shell and an offline page, and shows pushes.
// Only the files listed below are ever cached. Pages, fragments, catch-up replies and media go
// to the network alone, so no message is ever stored on the device by this worker.
const CACHE = "parley-shell-{{ version }}";
const SHELL = {{ shell | tojson }};
const OFFLINE = SHELL[0];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) =>
    Promise.all(SHELL.map((url) => cache.add(url).catch(() => {})))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {  // the network's page, or the offline page: never a stored one
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
  } else if (SHELL.includes(url.pathname) && !url.search) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "Parley", {
    body: data.body || "", tag: data.tag, data: { url: data.url || "/rooms" },
    icon: "{{ url_for('static', filename='icons/icon-192.png') }}",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data && event.notification.data.url || "/rooms", self.location.origin);
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((tabs) => {
    const same = tabs.find((tab) => new URL(tab.url).pathname === target.pathname);
    if (same) return same.focus();
    if (tabs.length) return tabs[0].focus().then((tab) => tab.navigate(target.href));
    return self.clients.openWindow(target.href);
  }));
});

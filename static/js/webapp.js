// Registers the service worker that makes Parley installable and gives it an offline page.
// It asks nothing of the person; notifications are notifications.js's, behind a button.

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});  // http:// other than localhost: none
}

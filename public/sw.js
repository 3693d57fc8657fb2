// msgbuddy service worker: caches the static shell (styles, scripts, WASM, icons) so the
// app starts fast and installs as a PWA. Pages and data always come from the network:
// they are per-user and live, so a stale copy would be wrong, and the worker leaves page
// loads alone: the browser takes each page, with its own Content-Security-Policy, straight
// from the server.
const CACHE = "msgbuddy-shell-v1";
const SHELL = ["/manifest.webmanifest", "/icons/icon-192.png", "/icons/icon-512.png", "/register-sw.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== location.origin || url.pathname === "/events") return;
  if (url.pathname.startsWith("/pkg/") || SHELL.includes(url.pathname)) {
    // Static assets: serve from cache, refresh in the background.
    event.respondWith(
      caches.open(CACHE).then(async (cache) => {
        const cached = await cache.match(req);
        const fresh = fetch(req).then((res) => {
          if (res.ok) cache.put(req, res.clone());
          return res;
        });
        return cached || fresh;
      }),
    );
  }
});

// A push from msgbuddy: { title, body, url, tag }, shown as a notification.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (_) {
    data = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "msgbuddy", {
      body: data.body || "",
      tag: data.tag,
      icon: "/icons/icon-192.png",
      data: { url: data.url || "/" },
    }),
  );
});

// A click opens what the notification is about: an open msgbuddy tab goes there, or a
// new one opens. Only paths on this site are followed.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || "/";
  const url = new URL(path.startsWith("/") && !path.startsWith("//") ? path : "/", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      return open ? open.navigate(url).then((w) => (w || open).focus()) : self.clients.openWindow(url);
    }),
  );
});

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

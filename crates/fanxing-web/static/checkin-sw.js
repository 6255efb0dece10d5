// Fanxing check-in service worker: keeps the check-in page and its scripts
// available without a network. Data (roster, key, queued scans) lives in
// IndexedDB, written by checkin.js; this worker only caches what to show.
"use strict";
const CACHE = "fanxing-checkin-v1";
const STATIC = ["/static/app.css", "/static/app.js", "/static/checkin.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(STATIC)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const isPage = url.pathname.startsWith("/checkin/") && !url.pathname.endsWith(".js");
  const isStatic = STATIC.includes(url.pathname);
  if (!isPage && !isStatic) return;
  // Network first (fresh roster and code), the cached copy when offline.
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(req, copy));
        }
        return res;
      })
      .catch(() => caches.match(req).then((hit) => hit || Response.error()))
  );
});

// Fanxing check-in: works offline by default.
//
// The page downloads a "kit" (session, venues, roster, the session's public
// key) and keeps it in IndexedDB. Every scan is checked here: the ticket's
// Ed25519 signature against the public key, the roster for status and venue,
// and this device's record of who already checked in. Accepted scans are
// queued in IndexedDB and sent when the network allows; the server is
// idempotent per scan id and keeps one attendance per person, so retries and
// other devices cannot double-count.
(function () {
  "use strict";
  var root = document.getElementById("checkin");
  if (!root) return;
  var venueId = Number(root.dataset.venue);
  var sessionId = Number(root.dataset.session);
  var msgs = JSON.parse(document.getElementById("messages").textContent);
  var csrfMeta = document.querySelector("meta[name=csrf-token]");
  var csrf = csrfMeta ? csrfMeta.content : "";
  function $(id) { return document.getElementById(id); }
  function t(key, args) {
    var s = msgs[key] || key;
    Object.keys(args || {}).forEach(function (k) { s = s.split("{" + k + "}").join(args[k]); });
    return s;
  }

  // ---- Storage ------------------------------------------------------------
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("fanxing-checkin", 1);
        req.onupgradeneeded = function () {
          var d = req.result;
          d.createObjectStore("kits");
          d.createObjectStore("queue", { keyPath: "scan_id" });
          d.createObjectStore("done");
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  function op(store, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var x = d.transaction(store, mode);
        var r = fn(x.objectStore(store));
        x.oncomplete = function () { resolve(r ? r.result : undefined); };
        x.onerror = function () { reject(x.error); };
      });
    });
  }
  function get(store, key) { return op(store, "readonly", function (s) { return s.get(key); }); }
  function put(store, value, key) {
    return op(store, "readwrite", function (s) { return key === undefined ? s.put(value) : s.put(value, key); });
  }
  function del(store, key) { return op(store, "readwrite", function (s) { return s.delete(key); }); }
  function all(store) { return op(store, "readonly", function (s) { return s.getAll(); }); }
  function allKeys(store) { return op(store, "readonly", function (s) { return s.getAllKeys(); }); }
  function doneKey(reg) { return sessionId + ":" + reg; }

  // ---- State ---------------------------------------------------------------
  var kit = null;
  var byReg = {};
  var keyPromise = Promise.resolve(null);
  var deviceId = localStorage.getItem("fx-device");
  if (!deviceId) {
    deviceId = "dev-" + randomId();
    localStorage.setItem("fx-device", deviceId);
  }
  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function venueName(id) {
    var v = kit && kit.venues.find(function (x) { return x.id === id; });
    return v ? v.name : "#" + id;
  }
  function hhmm(ts) {
    // Beijing time, whatever the device's zone.
    var d = new Date((ts + 8 * 3600) * 1000);
    return ("0" + d.getUTCHours()).slice(-2) + ":" + ("0" + d.getUTCMinutes()).slice(-2);
  }

  function setNet(online) {
    var el = $("net");
    el.textContent = online ? t("checkin.online") : t("checkin.offline");
    el.className = "netstate " + (online ? "online" : "offline");
  }

  function show(kind, text) {
    var el = $("result");
    el.className = "result " + kind;
    el.textContent = text;
    var li = document.createElement("li");
    li.className = kind;
    li.textContent = hhmm(Math.floor(Date.now() / 1000)) + " " + text;
    var log = $("log");
    log.insertBefore(li, log.firstChild);
    while (log.children.length > 50) log.removeChild(log.lastChild);
    return li;
  }

  function updateCounts() {
    Promise.all([allKeys("done"), all("done"), all("queue")]).then(function (r) {
      var keys = r[0], vals = r[1], queue = r[2];
      var here = 0;
      keys.forEach(function (k, i) {
        if (String(k).indexOf(sessionId + ":") === 0 && vals[i].venue_id === venueId) here++;
      });
      $("count-local").textContent = here;
      $("count-queue").textContent = queue.filter(function (q) { return q.venue === venueId; }).length;
    });
  }

  function b64u(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s);
    var a = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i);
    return a;
  }

  function useKit(k) {
    kit = k;
    byReg = {};
    var writes = [];
    k.roster.forEach(function (e) {
      byReg[e.registration_id] = e;
      if (e.attended_at) {
        writes.push(put("done", { venue_id: e.attended_venue_id, at: e.attended_at }, doneKey(e.registration_id)));
      }
    });
    keyPromise = (window.crypto && crypto.subtle)
      ? crypto.subtle.importKey("raw", b64u(k.public_key), { name: "Ed25519" }, false, ["verify"])
        .catch(function () { return null; })
      : Promise.resolve(null);
    return Promise.all(writes).then(updateCounts);
  }

  function loadKit() {
    return fetch("/api/v1/venues/" + venueId + "/checkin-kit", { credentials: "same-origin" })
      .then(function (res) {
        if (!res.ok) throw new Error("kit " + res.status);
        return res.json();
      })
      .then(function (k) {
        setNet(true);
        return put("kits", k, venueId).then(function () { return useKit(k); });
      })
      .catch(function () {
        setNet(false);
        return get("kits", venueId).then(function (k) {
          if (k) return useKit(k);
          show("refused", t("checkin.no_kit"));
        });
      });
  }

  // ---- Checking a ticket here ----------------------------------------------
  function verify(code) {
    var parts = code.split(".");
    if (parts.length !== 6 || parts[0] !== "FX1") return Promise.resolve({ error: "checkin.malformed" });
    var nums = parts.slice(1, 5).map(Number);
    if (nums.some(function (n) { return !Number.isInteger(n) || n <= 0; })) {
      return Promise.resolve({ error: "checkin.malformed" });
    }
    var sig;
    try { sig = b64u(parts[5]); } catch (e) { return Promise.resolve({ error: "checkin.malformed" }); }
    if (sig.length !== 64) return Promise.resolve({ error: "checkin.malformed" });
    var claims = { session_id: nums[0], registration_id: nums[1], venue_id: nums[2], person_id: nums[3] };
    if (claims.session_id !== sessionId) return Promise.resolve({ error: "checkin.other_session" });
    return keyPromise.then(function (key) {
      if (!key) return { claims: claims, verified: false };
      var msg = new TextEncoder().encode(parts.slice(0, 5).join("."));
      return crypto.subtle.verify({ name: "Ed25519" }, key, sig, msg).then(function (ok) {
        return ok ? { claims: claims, verified: true } : { error: "checkin.forged" };
      });
    });
  }

  function enqueue(scan) {
    scan.venue = venueId;
    return put("queue", scan).then(function () { updateCounts(); sync(); });
  }

  function admit(entry, scan) {
    if (!entry) {
      show("pending", t("checkin.unknown"));
      return enqueue(scan);
    }
    if (entry.status === "cancelled") { show("refused", entry.name + "：" + t("checkin.cancelled")); return Promise.resolve(); }
    if (entry.status === "waitlisted") { show("refused", entry.name + "：" + t("checkin.waitlisted")); return Promise.resolve(); }
    return get("done", doneKey(entry.registration_id)).then(function (done) {
      if (done) {
        show("duplicate", entry.name + "：" + t("checkin.duplicate", { venue: venueName(done.venue_id), time: hhmm(done.at) }));
        return;
      }
      if (entry.venue_id !== venueId) {
        if (!window.confirm(t("checkin.other_venue_confirm", { venue: venueName(entry.venue_id) }))) {
          show("refused", t("checkin.other_venue", { venue: venueName(entry.venue_id) }));
          return;
        }
        scan.allow_other_venue = true;
      }
      var at = Math.floor(Date.now() / 1000);
      scan.scanned_at = at;
      return put("done", { venue_id: venueId, at: at }, doneKey(entry.registration_id)).then(function () {
        var li = show("ok", t("checkin.ok") + " · " + entry.name);
        li.dataset.scan = scan.scan_id;
        return enqueue(scan);
      });
    });
  }

  function handleCode(raw) {
    var code = (raw || "").trim();
    if (!code) return;
    if (!kit) { show("refused", t("checkin.no_kit")); return; }
    verify(code).then(function (v) {
      if (v.error) { show("refused", t(v.error)); return; }
      return admit(byReg[v.claims.registration_id], {
        scan_id: randomId(), code: code, registration_id: null, allow_other_venue: false,
      });
    });
  }

  // ---- Sync -----------------------------------------------------------------
  var syncing = false;
  function sync() {
    if (syncing) return;
    all("queue").then(function (queue) {
      var batch = queue.filter(function (q) { return q.venue === venueId; }).slice(0, 200);
      if (!batch.length) return;
      syncing = true;
      var body = JSON.stringify({
        device_id: deviceId,
        scans: batch.map(function (q) {
          return {
            scan_id: q.scan_id, code: q.code, registration_id: q.registration_id,
            scanned_at: q.scanned_at, allow_other_venue: !!q.allow_other_venue,
          };
        }),
      });
      return fetch("/api/v1/venues/" + venueId + "/scans", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: body,
      }).then(function (res) {
        if (!res.ok) throw new Error("sync " + res.status);
        setNet(true);
        return res.json();
      }).then(function (results) {
        return Promise.all(results.map(function (r) {
          var li = document.querySelector('#log li[data-scan="' + r.scan_id + '"]');
          if (li) {
            li.textContent += " · " + (r.status === "accepted" ? t("checkin.synced") : r.message);
            if (r.status !== "accepted") li.className = r.status;
          } else if (r.status !== "accepted") {
            show(r.status, (r.name ? r.name + "：" : "") + r.message);
          }
          var writes = [del("queue", r.scan_id)];
          if (r.registration_id && r.venue_id && r.at) {
            writes.push(put("done", { venue_id: r.venue_id, at: r.at }, doneKey(r.registration_id)));
          }
          return Promise.all(writes);
        }));
      }).catch(function () {
        setNet(false);
      }).then(function () {
        syncing = false;
        updateCounts();
        root.dataset.synced = String(Date.now());
      });
    });
  }

  // ---- Wiring ----------------------------------------------------------------
  $("scan-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = $("code");
    handleCode(input.value);
    input.value = "";
    input.focus();
  });

  $("search").addEventListener("input", function (ev) {
    var q = ev.target.value.trim();
    var ul = $("matches");
    ul.textContent = "";
    if (!kit || q.length < 1) return;
    kit.roster.filter(function (e) {
      return e.name.indexOf(q) >= 0 || (/^\d{4}$/.test(q) && e.mobile.slice(-4) === q);
    }).slice(0, 10).forEach(function (e) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = e.name + " · " + e.mobile + " · " + venueName(e.venue_id);
      b.addEventListener("click", function () {
        admit(e, { scan_id: randomId(), code: "", registration_id: e.registration_id, allow_other_venue: false });
      });
      li.appendChild(b);
      ul.appendChild(li);
    });
  });

  $("walkin").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    fetch("/api/v1/venues/" + venueId + "/walk-ins", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ name: f.name.value, mobile: f.mobile.value, scan_id: randomId() }),
    }).then(function (res) {
      return res.json().then(function (j) {
        if (res.ok) {
          show(j.status === "accepted" ? "ok" : "duplicate", (j.name || "") + " " + j.message);
          f.reset();
          return loadKit();
        }
        show("refused", (j.error && (Object.values(j.error.fields || {})[0] || j.error.message)) || res.status);
      });
    }).catch(function () { setNet(false); show("refused", t("checkin.offline")); });
  });

  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    var cam = $("camera");
    cam.hidden = false;
    cam.addEventListener("click", function () {
      var video = $("video");
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      var last = "", lastAt = 0;
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        (function tick() {
          detector.detect(video).then(function (codes) {
            codes.forEach(function (c) {
              var now = Date.now();
              if (c.rawValue !== last || now - lastAt > 3000) {
                last = c.rawValue;
                lastAt = now;
                handleCode(c.rawValue);
              }
            });
          }).catch(function () {}).then(function () { setTimeout(tick, 300); });
        })();
      }).catch(function () { cam.hidden = true; });
    });
  }

  window.addEventListener("online", function () { setNet(true); sync(); });
  window.addEventListener("offline", function () { setNet(false); });
  setInterval(sync, 10000);

  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/checkin/sw.js", { scope: "/checkin/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () {
        // The first visit happened before the worker existed: store this
        // page now, so that it opens again without a network.
        return caches.open("fanxing-checkin-v1").then(function (c) { return c.add(location.pathname); });
      })
      .then(function () { $("mode").textContent = t("checkin.offline_ready"); root.dataset.cached = "1"; })
      .catch(function () { $("mode").textContent = t("checkin.online_only"); });
  } else {
    $("mode").textContent = t("checkin.online_only");
  }

  loadKit().then(function () {
    if (!navigator.onLine) setNet(false);
    root.dataset.ready = "1";
    sync();
  });
})();

// The live monitor refreshes its figures every 5 s from the session API.
(function () {
  "use strict";
  var root = document.getElementById("monitor");
  if (!root) return;
  function tick() {
    fetch("/api/v1/sessions/" + root.dataset.session + "/live", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        document.getElementById("total").textContent = d.attendances;
        document.getElementById("onsite").textContent = d.onsite;
        document.getElementById("online").textContent = d.attendances - d.onsite;
        document.getElementById("online-now").textContent = d.online_now;
        d.venues.forEach(function (v) {
          var el = document.querySelector('.hall[data-venue="' + v.id + '"]');
          if (!el) return;
          el.querySelector("progress").value = v.shown;
          el.querySelector(".n").textContent = v.shown;
        });
        var now = new Date();
        document.getElementById("stamp").textContent =
          document.getElementById("stamp").textContent.replace(/\d{1,2}:\d{2}(:\d{2})?$/, now.toTimeString().slice(0, 8));
      })
      .catch(function () {});
  }
  setInterval(tick, 5000);
})();

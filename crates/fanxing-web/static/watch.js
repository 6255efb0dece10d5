// Fanxing watch page: tells the server once every 30 s that the viewer is
// present. Attendance is decided when the session closes.
(function () {
  "use strict";
  var root = document.getElementById("watch");
  if (!root) return;
  var msgs = JSON.parse(document.getElementById("messages").textContent);
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var status = document.getElementById("presence");
  var beats = 0;
  function beat() {
    fetch("/api/v1/sessions/" + root.dataset.session + "/heartbeat", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf },
    }).then(function (res) {
      if (res.ok) {
        beats += 1;
        status.textContent = msgs["watch.present"] + " · " + Math.floor(beats / 2) + " min";
      } else {
        status.textContent = msgs["watch.not_open"];
      }
    }).catch(function () {
      status.textContent = msgs["watch.offline"];
    });
  }
  beat();
  setInterval(beat, 30000);
})();

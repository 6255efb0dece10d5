// Fanxing: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Filter lists as soon as a drop-down changes, instead of needing the button.
  document.querySelectorAll("form.filters select").forEach(function (el) {
    el.addEventListener("change", function () {
      var page = el.form.querySelector("input[name=page]");
      if (page) page.remove();
      el.form.submit();
    });
  });
  // Move focus to the first field with an error so it is seen and read out.
  var bad = document.querySelector("[aria-invalid=true]");
  if (bad) bad.focus();
})();
// Upload forms: show the upload's progress, then show the answer page.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      ev.preventDefault();
      var bar = form.querySelector("progress");
      var button = form.querySelector("button[type=submit]");
      if (bar) bar.hidden = false;
      if (button) button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (bar && e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.addEventListener("load", function () {
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        if (button) button.disabled = false;
        if (bar) bar.hidden = true;
      });
      xhr.send(new FormData(form));
    });
  });
})();
// Print buttons (hidden without JavaScript, where the browser's own print works).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
})();
// On a phone the navigation folds behind a menu button (without
// JavaScript it stays open and simply wraps).
(function () {
  "use strict";
  var button = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (!button || !nav) return;
  button.hidden = false;
  nav.classList.add("collapsible");
  button.addEventListener("click", function () {
    var open = nav.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
// Slow downloads (a zip of certificates) say that they are on their way.
(function () {
  "use strict";
  document.querySelectorAll("a[data-wait]").forEach(function (a) {
    a.addEventListener("click", function () {
      var note = document.createElement("p");
      note.className = "notice";
      note.setAttribute("role", "status");
      note.textContent = a.getAttribute("data-wait");
      a.insertAdjacentElement("afterend", note);
      a.setAttribute("aria-disabled", "true");
      setTimeout(function () { note.remove(); a.removeAttribute("aria-disabled"); }, 20000);
    });
  });
})();

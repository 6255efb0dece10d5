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

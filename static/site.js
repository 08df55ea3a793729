// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Ask before leaving a half-filled form (long idea texts on a slow phone).
  document.querySelectorAll("form[data-confirm-leave]").forEach(function (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (e) { if (dirty) { e.preventDefault(); } });
  });
})();

// Progressive enhancement only: the page works without this file (its refresh link).
(function () {
  "use strict";
  // A part of the page that follows work going on elsewhere (a result being counted):
  // fetched again every data-follow seconds and swapped in (its live region tells a screen
  // reader) until the new one no longer follows. Without script, the page's own
  // "refresh" link does the same; no page reloads itself (a meta refresh would move a
  // reader's place on the page).
  document.querySelectorAll("[data-follow][id]").forEach(function (part) {
    var seconds = parseInt(part.getAttribute("data-follow"), 10) || 3;
    function again() {
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(part.id);
          if (!fresh) { return; }
          if (fresh.getAttribute("data-state") !== part.getAttribute("data-state")) {
            part.innerHTML = fresh.innerHTML;
            part.setAttribute("data-state", fresh.getAttribute("data-state"));
          }
          if (fresh.hasAttribute("data-follow")) { window.setTimeout(again, seconds * 1000); }
        })
        .catch(function () { window.setTimeout(again, seconds * 3000); });
    }
    window.setTimeout(again, seconds * 1000);
  });
})();

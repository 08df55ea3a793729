// The ballot's running total, live. Progressive enhancement only: without this file the
// "Update the total" button asks the server, which computes the same figures.
(function () {
  "use strict";
  var form = document.querySelector("form[data-vote-form]");
  var box = document.getElementById("vote-total");
  if (!form || !box) { return; }
  var kind = box.getAttribute("data-kind");
  var budget = box.hasAttribute("data-budget") ? parseInt(box.getAttribute("data-budget"), 10) : null;
  var maxPoints = box.hasAttribute("data-max-points") ? parseInt(box.getAttribute("data-max-points"), 10) : null;

  // Integer fen as ¥1,234.50: the same text the server writes (never floats).
  function money(fen) {
    var sign = fen < 0 ? "-" : "";
    fen = Math.abs(fen);
    var yuan = String(Math.floor(fen / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var rest = String(fen % 100);
    return sign + "¥" + yuan + "." + (rest.length < 2 ? "0" + rest : rest);
  }

  function put(name, text) {
    box.querySelectorAll('[data-out="' + name + '"]').forEach(function (out) { out.textContent = text; });
  }

  function update() {
    var chosen = 0, cost = 0, points = 0, over = false;
    if (kind === "cumulative") {
      form.querySelectorAll("input[data-points]").forEach(function (input) {
        var value = input.value.trim();
        if (/^\d+$/.test(value) && parseInt(value, 10) > 0) { chosen += 1; points += parseInt(value, 10); }
      });
      put("points", String(points));
      over = maxPoints !== null && points > maxPoints;
    } else if (kind === "ordinal") {
      form.querySelectorAll("select[data-rank]").forEach(function (select) {
        if (select.value) { chosen += 1; }
      });
    } else {
      form.querySelectorAll('input[name="idea"]').forEach(function (input) {
        if (input.checked) { chosen += 1; cost += parseInt(input.getAttribute("data-cost") || "0", 10); }
      });
      put("cost", money(cost));
      if (budget !== null) {
        put("left", money(budget - cost));
        over = cost > budget;
      }
    }
    put("chosen", String(chosen));
    box.querySelectorAll("[data-over]").forEach(function (warning) { warning.hidden = !over; });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  // With the total live, the button that asks the server for it is not needed.
  var button = form.querySelector("[data-total-button]");
  if (button) { button.hidden = true; }
  update();
})();

// A jump link to a folded group of the ballot opens it (without this file the link
// scrolls to the group's summary, which opens it on a tap).
(function () {
  "use strict";
  function openTarget() {
    var id = window.location.hash.slice(1);
    var target = id ? document.getElementById(id) : null;
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();

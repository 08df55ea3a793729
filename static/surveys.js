// Surveys: progress on long forms. Progressive enhancement only; the form works without it.
(function () {
  "use strict";
  document.querySelectorAll("form[data-survey-form]").forEach(function (form) {
    var questions = form.querySelectorAll("[data-question]");
    var holder = form.querySelector("[data-progress]");
    if (!holder || questions.length < 2) { return; }
    var label = holder.getAttribute("data-label") || "%(done)s / %(total)s";
    var bar = document.createElement("progress");
    bar.max = questions.length;
    var text = document.createElement("span");
    holder.textContent = "";
    holder.className = "survey-progress";
    holder.appendChild(text);
    holder.appendChild(bar);
    function answered(q) {
      var fields = q.querySelectorAll("input, textarea");
      for (var i = 0; i < fields.length; i++) {
        var f = fields[i];
        if ((f.type === "radio" || f.type === "checkbox") ? f.checked : f.value.trim() !== "") { return true; }
      }
      return false;
    }
    function update() {
      var done = 0;
      questions.forEach(function (q) { if (answered(q)) { done += 1; } });
      bar.value = done;
      text.textContent = label.replace("%(done)s", done).replace("%(total)s", questions.length);
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  });
})();

// A multiple-choice maximum, kept as boxes are ticked: one box too many is unticked again
// and the "Choose at most N" hint turns into an announced message. The server checks too.
(function () {
  "use strict";
  document.querySelectorAll("[data-max]").forEach(function (group) {
    var max = parseInt(group.getAttribute("data-max"), 10);
    var note = document.getElementById(group.getAttribute("data-max-note-id"));
    group.addEventListener("change", function (event) {
      var box = event.target;
      if (box.type !== "checkbox") { return; }
      var ticked = group.querySelectorAll("input[type=checkbox]:checked").length;
      if (box.checked && ticked > max) {
        box.checked = false;
        if (note) { note.className = "error"; note.setAttribute("role", "alert"); }
      } else if (note && ticked < max) {
        note.className = "hint";
        note.removeAttribute("role");
      }
    });
  });
})();

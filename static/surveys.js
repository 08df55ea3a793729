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

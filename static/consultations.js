// Progressive enhancement for the idea form: while the title is typed, show ideas with
// similar titles (the same list appears without JavaScript on the confirm step).
(function () {
  "use strict";
  var box = document.getElementById("similar");
  var title = document.getElementById("f-title");
  if (!box || !title || !window.fetch) { return; }
  var timer = null;
  var last = "";
  function show(ideas) {
    box.textContent = "";
    if (!ideas.length) { return; }
    var heading = document.createElement("p");
    heading.textContent = box.getAttribute("data-heading") || "";
    box.appendChild(heading);
    var list = document.createElement("ul");
    ideas.forEach(function (idea) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/ideas/" + idea.id;
      link.textContent = idea.title;
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
  }
  function lookup() {
    var text = title.value.trim();
    if (text === last) { return; }
    last = text;
    if (text.length < 2) { show([]); return; }
    var url = box.getAttribute("data-url") + "?title=" + encodeURIComponent(text);
    var exclude = box.getAttribute("data-exclude");
    if (exclude) { url += "&exclude=" + encodeURIComponent(exclude); }
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : { ideas: [] }; })
      .then(function (data) { if (text === last) { show(data.ideas || []); } })
      .catch(function () { /* offline or slow: the confirm step shows them anyway */ });
  }
  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 400);
  });
})();

(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#flows tbody tr"));
  var search = document.getElementById("filter-text");
  var verdict = document.getElementById("filter-verdict");
  var required = document.getElementById("filter-required");
  var count = document.getElementById("count");

  function matches(row) {
    var v = verdict.value;
    var rv = row.getAttribute("data-verdict");
    if (v === "problems" && rv !== "blocked" && rv !== "conditional") { return false; }
    if (v !== "all" && v !== "problems" && rv !== v) { return false; }
    if (required.checked && row.getAttribute("data-required") !== "yes") { return false; }
    var q = search.value.trim().toLowerCase();
    return q === "" || row.textContent.toLowerCase().indexOf(q) !== -1;
  }

  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = matches(row);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = "showing " + shown + " of " + rows.length + " flows";
  }

  [search, verdict, required].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  apply();

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function done(button, ok) {
    button.textContent = ok ? "copied" : "select and copy";
    button.classList.toggle("done", ok);
    window.setTimeout(function () { button.textContent = "copy"; button.classList.remove("done"); },
                      1500);
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-target"));
      var text = target ? target.textContent : "";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(button, true); },
                                                 function () { done(button, fallbackCopy(text)); });
      } else {
        done(button, fallbackCopy(text));
      }
    });
  });
}());

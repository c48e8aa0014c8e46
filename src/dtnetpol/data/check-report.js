(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#flows tbody tr.flow"));

  function whyRow(row) {
    var button = row.querySelector("button.why");
    return button ? document.getElementById(button.getAttribute("aria-controls")) : null;
  }
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
      var why = whyRow(row);
      if (why) { why.hidden = !ok || !row.classList.contains("open"); }
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
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = ok ? "copied" : "select and copy";
    button.classList.toggle("done", ok);
    window.setTimeout(function () { button.textContent = label; button.classList.remove("done"); },
                      1500);
  }

  rows.forEach(function (row) {
    var button = row.querySelector("button.why");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var open = !row.classList.contains("open");
      row.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
      whyRow(row).hidden = !open;
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.addEventListener("click", function () {
      var text = "";
      if (button.getAttribute("data-all") === "yes") {
        Array.prototype.forEach.call(document.querySelectorAll("code.fix-yaml"), function (c) {
          text += c.textContent;
        });
      } else {
        var target = document.getElementById(button.getAttribute("data-target"));
        text = target ? target.textContent : "";
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(button, true); },
                                                 function () { done(button, fallbackCopy(text)); });
      } else {
        done(button, fallbackCopy(text));
      }
    });
  });
}());

// "Thêm kiến nghị" without a round trip: copy the last recommendation block, renumber its
// field names (recommendations-N-…), empty it. Without JavaScript the same button asks the
// server for one more block, so this file is only a convenience.
(function () {
  "use strict";
  var button = document.getElementById("add-recommendation");
  var container = document.getElementById("recommendations");
  if (!button || !container) { return; }
  var MAX = 20;
  button.addEventListener("click", function (event) {
    var blocks = container.querySelectorAll("fieldset.recommendation");
    if (blocks.length === 0 || blocks.length >= MAX) { return; }  // let the server answer
    event.preventDefault();
    var last = blocks[blocks.length - 1];
    var next = blocks.length;
    var copy = last.cloneNode(true);
    var pattern = /recommendations-\d+-/g;
    copy.setAttribute("data-index", String(next));
    copy.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(pattern, "recommendations-" + next + "-")); }
      });
      if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") { el.value = ""; }
      if (el.tagName === "SELECT") { el.selectedIndex = 0; }
      el.removeAttribute("aria-invalid");
    });
    copy.querySelectorAll(".error-message").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    var legend = copy.querySelector("legend");
    if (legend) { legend.textContent = legend.textContent.replace(/\d+\s*$/, String(next + 1)); }
    last.parentNode.insertBefore(copy, last.nextSibling);
    var first = copy.querySelector("input, textarea, select");
    if (first) { first.focus(); }
  });
})();

// Warn before leaving a page with text typed into a form marked data-warn-unsaved that was not sent.
// Sending that form (any of its buttons) does not warn; sending another form of the page while one has
// unsent text does, because that text would be lost. The browser shows its own wording.
(function () {
  "use strict";
  var dirty = [];
  function mark(form) { if (dirty.indexOf(form) < 0) { dirty.push(form); } }
  function watch(form) {
    form.addEventListener("input", function () { mark(form); });
    form.addEventListener("change", function () { mark(form); });
    form.addEventListener("submit", function () {
      var i = dirty.indexOf(form);
      if (i >= 0) { dirty.splice(i, 1); }
    });
  }
  function start() {
    var forms = document.querySelectorAll("form[data-warn-unsaved]");
    if (!forms.length) { return; }
    for (var i = 0; i < forms.length; i++) { watch(forms[i]); }
    window.addEventListener("beforeunload", function (event) {
      if (!dirty.length) { return undefined; }
      event.preventDefault();
      event.returnValue = "";
      return "";
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());

// rq-dashboard posts with jQuery; send the session's CSRF token the way Flask-WTF reads it.
// Deferred, so it runs after the dashboard's own scripts have loaded jQuery.
(function () {
  var token = document.currentScript && document.currentScript.getAttribute("data-csrf-token");
  if (window.jQuery && token) {
    window.jQuery.ajaxSetup({ headers: { "X-CSRFToken": token } });
  }
})();

// Voordeur: small enhancements on top of htmx. Everything works without this file.
(function () {
  "use strict";
  // After htmx swaps in a new question, move focus to its heading (or the error
  // summary), so screen-reader and keyboard users start at the new content.
  document.addEventListener("htmx:afterSettle", function (event) {
    var panel = document.getElementById("panel");
    if (!panel || !panel.contains(event.target)) return;
    var target = panel.querySelector("[data-autofocus]");
    if (target) {
      target.focus();
      window.scrollTo(0, 0);
    }
  });
  // htmx 2 does not swap 4xx/5xx answers (responseHandling in base.html), so a failed step
  // would look like a button that does nothing. The server renders its error page as a partial
  // for htmx (portal/errors.py): show it in the panel, with its title, message and 112 advice.
  // 422 (form errors) is already swapped into its own target by the configuration.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var status = detail.xhr.status;
    if (status < 400 || status === 422) return;
    if (!(detail.xhr.responseText || "").trim()) return; // nothing to show: see htmx:responseError
    detail.shouldSwap = true;
    var panel = document.getElementById("panel");
    if (panel) {
      detail.target = panel;
      detail.swapOverride = "innerHTML";
    }
  });
  // No answer at all (the connection is gone) or an empty error answer: say so in the panel
  // and keep the form below it, so the patient can press the button again.
  function showConnectionError() {
    var panel = document.getElementById("panel");
    var template = document.getElementById("connection-error");
    if (!panel || !template) return;
    var old = document.getElementById("connection-error-message");
    if (old) old.remove();
    panel.prepend(template.content.cloneNode(true));
    var message = document.getElementById("connection-error-message");
    if (message) {
      message.focus();
      window.scrollTo(0, 0);
    }
  }
  document.addEventListener("htmx:sendError", showConnectionError);
  document.addEventListener("htmx:responseError", function (event) {
    if (!(event.detail.xhr.responseText || "").trim()) showConnectionError();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var old = document.getElementById("connection-error-message");
    if (old && event.detail.successful) old.remove();
  });
  // On a page with errors loaded without htmx, focus the error summary too.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });
})();

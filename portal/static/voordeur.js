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
  // On a page with errors loaded without htmx, focus the error summary too.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });
})();

// Voordeur: a "Kopieer" button for a read-only text (the SOEP note for the HIS).
// Progressive enhancement: the button is hidden in the HTML and shown only here, so
// without JavaScript there is no dead button and the text stays selectable in its box.
(function () {
  "use strict";
  function copied(button, status) {
    if (status) status.textContent = button.getAttribute("data-copied") || "";
  }
  function fallback(source) {
    // Older browsers, or a page not served over HTTPS: select and copy the old way.
    source.focus();
    source.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }
  function enhance(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var status = button.parentNode.querySelector("[data-copy-status]");
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(
          function () { copied(button, status); },
          function () { if (fallback(source)) copied(button, status); }
        );
      } else if (fallback(source)) {
        copied(button, status);
      }
    });
  }
  function start() {
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) enhance(buttons[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

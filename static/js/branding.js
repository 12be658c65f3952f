// Branding editor: as the admin types, post the form to the sandboxed preview frame
// (its own document and CSP, so the organization's CSS never reaches this page).
(function () {
  "use strict";
  var form = document.querySelector("[data-branding-form]");
  if (!form || !form.requestSubmit) return;
  var button = form.querySelector("[data-preview-submit]");
  var frame = document.querySelector("iframe[name=brand-preview]");
  if (frame) {
    // How many times the preview loaded (tests wait on it; a sandboxed frame's document
    // cannot be read from here).
    frame.addEventListener("load", function () {
      frame.setAttribute("data-loads", String(Number(frame.getAttribute("data-loads") || 0) + 1));
    });
  }
  // "Use it" next to a suggested colour puts it in its field (and so re-checks it).
  form.addEventListener("click", function (e) {
    var b = e.target.closest("[data-use-colour]");
    if (!b) return;
    var input = document.getElementById(b.getAttribute("data-for"));
    if (!input) return;
    input.value = b.getAttribute("data-use-colour");
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  });
  var timer;
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { form.requestSubmit(button); }, 400);
  });
})();

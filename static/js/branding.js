// Branding editor: as the admin types, post the form to the sandboxed preview frame
// (its own document and CSP, so the organization's CSS never reaches this page).
(function () {
  "use strict";
  var form = document.querySelector("[data-branding-form]");
  if (!form || !form.requestSubmit) return;
  var button = form.querySelector("[data-preview-submit]");
  var timer;
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { form.requestSubmit(button); }, 400);
  });
})();

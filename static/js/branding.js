// Branding editor: as the admin types, post the form to the sandboxed preview frames,
// the public page and the recipient email (each its own document and CSP, so the
// organization's CSS never reaches this page).
(function () {
  "use strict";
  var form = document.querySelector("[data-branding-form]");
  if (!form || !form.requestSubmit) return;
  var button = form.querySelector("[data-preview-submit]");
  var emailButton = form.querySelector("[data-email-preview-submit]");
  // How many times each preview loaded (tests wait on it; a sandboxed frame's document
  // cannot be read from here).
  // A form has one planned navigation: submitting it again at once would cancel the
  // first, so the email frame is submitted when the page preview has loaded.
  var emailPending = false;
  ["brand-preview", "brand-email-preview"].forEach(function (name) {
    var frame = document.querySelector("iframe[name=" + name + "]");
    if (!frame) return;
    frame.addEventListener("load", function () {
      frame.setAttribute("data-loads", String(Number(frame.getAttribute("data-loads") || 0) + 1));
      if (name === "brand-preview" && emailPending && emailButton) {
        emailPending = false;
        form.requestSubmit(emailButton);
      }
    });
  });
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
  // "Refresh preview" refreshes the email too.
  if (button && emailButton) {
    button.addEventListener("click", function () { emailPending = true; });
  }
  var timer;
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      emailPending = true;
      form.requestSubmit(button);
    }, 400);
  });
})();

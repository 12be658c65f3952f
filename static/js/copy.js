// Copy buttons: <button data-copy="#id"> copies that input's value, or the
// text of any other element.
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("[data-copy]");
  if (!b) return;
  var el = document.querySelector(b.getAttribute("data-copy"));
  if (!el) return;
  var text = "value" in el ? el.value : el.textContent;
  if (el.select) el.select();
  if (navigator.clipboard) {
    navigator.clipboard.writeText(text).then(function () {
      b.textContent = "Copied";
    });
  }
});

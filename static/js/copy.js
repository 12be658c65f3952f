// Copy buttons: <button data-copy="#input-id"> copies that input's value.
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("[data-copy]");
  if (!b) return;
  var el = document.querySelector(b.getAttribute("data-copy"));
  if (!el) return;
  el.select();
  if (navigator.clipboard) {
    navigator.clipboard.writeText(el.value).then(function () {
      b.textContent = "Copied";
    });
  }
});

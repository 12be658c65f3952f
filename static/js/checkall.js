// "Select all" checkboxes: <input type="checkbox" data-check-all="g"> ticks
// or unticks every <input data-group="g">, and follows them (ticked when
// all are, mixed when some are). Without JavaScript each box is ticked
// one by one.
(function () {
  function sync(g) {
    var all = document.querySelector('[data-check-all="' + g + '"]');
    if (!all) return;
    var boxes = document.querySelectorAll('input[data-group="' + g + '"]');
    var n = 0;
    boxes.forEach(function (b) { if (b.checked) n++; });
    all.checked = n > 0 && n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
  }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t.matches) return;
    if (t.matches("[data-check-all]")) {
      var g = t.getAttribute("data-check-all");
      document.querySelectorAll('input[data-group="' + g + '"]').forEach(function (b) { b.checked = t.checked; });
      t.indeterminate = false;
    } else if (t.matches("input[data-group]")) {
      sync(t.getAttribute("data-group"));
    }
  });
  function all() {
    document.querySelectorAll("[data-check-all]").forEach(function (b) { sync(b.getAttribute("data-check-all")); });
  }
  document.addEventListener("DOMContentLoaded", all);
  document.addEventListener("htmx:afterSettle", all);
})();

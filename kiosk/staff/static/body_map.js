// The body map on the concern form: tapping a region ticks (or unticks) its box in the
// list, which is what the form sends; the list works on its own without this script.
(function () {
  "use strict";
  function boxFor(key) {
    return document.querySelector('input[type="checkbox"][name="body_map"][data-region="' + key + '"]');
  }
  function paint(key, on) {
    document.querySelectorAll('g.region[data-region="' + key + '"]').forEach(function (g) {
      g.classList.toggle("marked", on);
    });
  }
  document.querySelectorAll("fieldset.body-map g.region").forEach(function (g) {
    var key = g.getAttribute("data-region");
    var box = boxFor(key);
    if (!box) { return; }
    g.addEventListener("click", function () {
      box.checked = !box.checked;
      paint(key, box.checked);
    });
    box.addEventListener("change", function () { paint(key, box.checked); });
  });
}());

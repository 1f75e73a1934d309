// The unit list's tick-all box ticks every unit for the bulk change.
(function () {
  "use strict";
  var all = document.querySelector("[data-check-all]");
  if (!all) return;
  all.addEventListener("change", function (e) {
    document.querySelectorAll("input[name=unit_ids]").forEach(function (box) { box.checked = e.target.checked; });
  });
})();

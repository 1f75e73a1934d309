// Bill lines on a payment form (the counter, and recording a payment in billing): the total of the ticked
// lines (each row's data-owed, in fen), and the tick-all box, which follows the rows.
(function () {
  "use strict";
  var form = document.querySelector("[data-payment-form]");
  if (!form) return;
  var boxes = form.querySelectorAll("input[name=line_ids]");
  var total = form.querySelector("[data-ticked-total]");
  var all = form.querySelector("[data-check-all]");
  function fmt(fen) { return "¥" + (fen / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }); }
  function update() {
    var sum = 0, ticked = 0;
    boxes.forEach(function (b) { if (b.checked) { sum += parseInt(b.dataset.owed, 10); ticked++; } });
    if (total) total.textContent = fmt(sum);
    if (all) all.checked = ticked === boxes.length && ticked > 0;
  }
  if (all) {
    all.addEventListener("change", function (e) {
      boxes.forEach(function (b) { b.checked = e.target.checked; });
      update();
    });
  }
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  update();
})();

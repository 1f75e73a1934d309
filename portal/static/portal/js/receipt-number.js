// Payment settings: the example receipt number follows the prefix, date format and digits as they are
// typed. data-dates holds today as "YYYYMMDD YYYYMM YYYY", data-sequence the next sequence number.
(function () {
  "use strict";
  var out = document.querySelector("[data-receipt-example]");
  var form = document.querySelector("[data-payment-settings]");
  if (!out || !form) return;
  var dates = out.dataset.dates.split(" ");
  var formats = { "YYYYMMDD": dates[0], "YYYYMM": dates[1], "YYYY": dates[2] };
  var sequence = out.dataset.sequence;
  function update() {
    var prefix = form.querySelector("[name=rule-receipt_prefix]").value.trim();
    var format = form.querySelector("[name=rule-receipt_date_format]").value;
    var digits = parseInt(form.querySelector("[name=rule-receipt_digits]").value, 10);
    if (!/^[A-Za-z0-9]{0,10}$/.test(prefix) || !(digits >= 3 && digits <= 10)) return;
    var seq = sequence;
    while (seq.length < digits) seq = "0" + seq;
    out.textContent = prefix + (formats[format] || dates[0]) + seq;
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();

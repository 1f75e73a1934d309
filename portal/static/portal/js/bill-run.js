// A bill run's live progress: the worker pushes billrun.progress messages to whoever created the run; the
// card also polls itself every second (htmx) in case the socket is not connected. The run's id is the
// data-bill-run of the card's (stable) slot.
(function () {
  "use strict";
  var slot = document.querySelector("[data-bill-run]");
  if (!slot) return;
  var runId = parseInt(slot.getAttribute("data-bill-run"), 10);
  function card() { return document.querySelector("[data-run-progress]"); }
  document.addEventListener("realtime:message", function (e) {
    var m = e.detail, box = card();
    if (!box || m.type !== "billrun.progress" || m.run !== runId) return;
    var bar = box.querySelector("[data-progress]");
    var shown = parseInt(bar.getAttribute("data-percent"), 10) || 0;
    var pct = Math.max(shown, m.percent || 0);  // a late message never moves the bar back
    bar.value = pct;
    bar.setAttribute("value", String(pct));
    bar.setAttribute("data-percent", String(pct));
    box.querySelector("[data-percent-text]").textContent = String(pct);
    box.querySelector("[data-done]").textContent = String(m.done);
    box.setAttribute("data-state", m.status);
    if ((m.status === "posted" || m.status === "failed") && window.htmx) window.htmx.trigger(box, "billrun-finished");
  });
})();

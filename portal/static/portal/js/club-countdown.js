// Time left on a club hold or waitlist offer: <span data-countdown="<seconds>" data-expired-text="…">m:ss left</span>
// counts down every second from the server's figure (the page's clock, not the phone's, decides the start);
// the text keeps the server's wording around the figure ("12:34 left" / "还剩 12:34"). At zero it says the time is up.
(function () {
  "use strict";
  var clocks = Array.prototype.slice.call(document.querySelectorAll("[data-countdown]"));
  if (!clocks.length || clocks[0].hasAttribute("data-ticking")) return;
  var started = Date.now();
  clocks.forEach(function (el) {
    el.setAttribute("data-ticking", "");
    el.__total = parseInt(el.getAttribute("data-countdown"), 10) || 0;
    el.__template = el.textContent.replace(/\d+:\d\d/, "{t}");
  });
  function mmss(s) {
    var m = Math.floor(s / 60), r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }
  function tick() {
    var gone = Math.floor((Date.now() - started) / 1000);
    clocks.forEach(function (el) {
      var left = Math.max(0, el.__total - gone);
      el.setAttribute("data-left", String(left));
      if (left > 0 && el.__template.indexOf("{t}") >= 0) el.textContent = el.__template.replace("{t}", mmss(left));
      else if (left <= 0) el.textContent = el.getAttribute("data-expired-text") || "0:00";
    });
  }
  tick();
  setInterval(tick, 1000);
})();

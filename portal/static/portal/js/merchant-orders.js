// The merchant's order board: a new paid order (a "shop.order_new" notice on /ws/merchant/, dispatched by
// merchant.js as "merchant-notice") plays a short chime; htmx fetches the board again on the same event.
// Browsers allow sound only after the page was interacted with once; until then the board still updates.
(function () {
  "use strict";
  document.body.addEventListener("merchant-notice", function (event) {
    var message = event.detail || {};
    if (message.kind !== "shop.order_new") return;
    var sound = document.querySelector("[data-order-sound]");
    if (!sound) return;
    try {
      sound.currentTime = 0;
      var played = sound.play();
      if (played && played.catch) played.catch(function () {});
    } catch (e) { /* no sound: the board still updates */ }
    document.documentElement.setAttribute("data-last-order-sound", String(message.id || ""));
  });
})();

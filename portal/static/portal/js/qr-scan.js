// Scan a QR code with the phone's camera into a form. Markup (portal/common/_qr_scan.html gives the camera part):
//   <form data-qr-scan [data-qr-autostart]>
//     <input data-qr-target>                       the code field: typing it always works, camera or not
//     <button type="button" data-qr-start hidden data-qr-msg-…>   shown only when a camera can be used
//     <video data-qr-video hidden muted playsinline></video>       the preview
//     <p data-qr-status aria-live="polite"></p>     what is happening (the button's data-qr-msg-<state> texts)
//   </form>
// vendor/jsQR.js must load first. The rear camera is asked for (facingMode "environment"); frames are scaled
// down to 640 px wide and read a few times a second. The first code read fills the input, fires input and
// change, stops the camera and submits the form (requestSubmit: validation and data-submit-once still apply).
// Without a camera, permission or jsQR the button stays hidden or says why, and the input is focused.
(function () {
  "use strict";
  var MAX_WIDTH = 640;
  var INTERVAL_MS = 120;

  function cameraUsable() {
    return Boolean(
      window.jsQR && window.isSecureContext !== false && navigator.mediaDevices && navigator.mediaDevices.getUserMedia
    );
  }

  function setup(form) {
    var input = form.querySelector("[data-qr-target]");
    var start = form.querySelector("[data-qr-start]");
    var video = form.querySelector("[data-qr-video]");
    var status = form.querySelector("[data-qr-status]");
    if (!input || !start || !video) return;
    if (!cameraUsable()) {
      start.hidden = true;
      video.hidden = true;
      return;
    }
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var stream = null;
    var timer = 0;
    var opening = false;
    start.hidden = false;

    function say(state) {
      form.setAttribute("data-qr-state", state);
      if (status) status.textContent = start.getAttribute("data-qr-msg-" + state) || "";
    }
    function stop() {
      if (timer) clearTimeout(timer);
      timer = 0;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.srcObject = null;
      video.hidden = true;
      start.setAttribute("aria-pressed", "false");
    }
    function found(text) {
      stop();
      input.value = text;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
      say("found");
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }
    function scan() {
      timer = 0;
      if (!stream) return;
      if (video.readyState >= 2 && video.videoWidth) {
        var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
        var width = Math.round(video.videoWidth * scale);
        var height = Math.round(video.videoHeight * scale);
        if (canvas.width !== width) canvas.width = width;
        if (canvas.height !== height) canvas.height = height;
        context.drawImage(video, 0, 0, width, height);
        var code = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, {
          inversionAttempts: "dontInvert",
        });
        if (code && code.data) {
          found(code.data);
          return;
        }
      }
      timer = setTimeout(scan, INTERVAL_MS);
    }
    function open() {
      if (stream) {
        stop();
        say("stopped");
        return;
      }
      if (opening) return;
      opening = true;
      say("starting");
      navigator.mediaDevices
        .getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
        .then(function (camera) {
          stream = camera;
          video.muted = true;
          video.setAttribute("playsinline", "");
          video.srcObject = camera;
          video.hidden = false;
          start.setAttribute("aria-pressed", "true");
          say("scanning");
          return video.play();
        })
        .then(scan)
        .catch(function (error) {
          stop();
          var name = error && error.name;
          say(name === "NotAllowedError" || name === "SecurityError" ? "denied" : "unavailable");
          input.focus();
        })
        .then(function () { opening = false; });
    }

    start.addEventListener("click", open);
    // Leave the camera off while the page is not shown (the phone's light goes off too).
    document.addEventListener("visibilitychange", function () { if (document.hidden && stream) { stop(); say("stopped"); } });
    window.addEventListener("pagehide", stop);
    if (form.hasAttribute("data-qr-autostart")) open();
  }

  document.querySelectorAll("form[data-qr-scan]").forEach(setup);
})();

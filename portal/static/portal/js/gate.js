// The gate's phone pages (no inline code under the CSP):
//   the parcel form's home search: tapping a result ([data-unit-pick]) fills the hidden unit field and shows it;
//   the signature pad: <canvas data-signature-pad> inside <form data-signature-form> with a hidden
//     [data-signature-value]; strokes by finger, pen or mouse; on submit the drawing goes in as a PNG data URL
//     (nothing drawn: empty, and the server asks for a signature); [data-signature-clear] wipes it;
//   the visitor pass's share button ([data-share]): the phone's share sheet, else copied to the clipboard.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("[data-unit-pick]");
    if (!pick) return;
    var form = pick.closest("form");
    var input = form && form.querySelector("input[name=unit]");
    if (!input) return;
    input.value = pick.getAttribute("data-unit-pick");
    var chosen = form.querySelector("[data-unit-chosen]");
    if (chosen) {
      chosen.hidden = false;
      chosen.textContent = pick.getAttribute("data-unit-label");
    }
    form.querySelectorAll("[data-unit-pick]").forEach(function (b) {
      b.setAttribute("aria-pressed", b === pick ? "true" : "false");
    });
    var carrier = form.querySelector("input[name=carrier]:checked") || form.querySelector("input[name=carrier]");
    if (carrier) carrier.focus();
  });

  function pad(canvas) {
    var form = canvas.closest("form");
    var value = form && form.querySelector("[data-signature-value]");
    var context = canvas.getContext("2d");
    var drawn = false, down = false, last = null;
    context.lineWidth = 3;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111";
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - box.left) * canvas.width) / box.width,
        y: ((event.clientY - box.top) * canvas.height) / box.height,
      };
    }
    canvas.addEventListener("pointerdown", function (event) {
      down = true;
      last = point(event);
      canvas.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!down) return;
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
      drawn = true;
      event.preventDefault();
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { down = false; });
    });
    var clear = form && form.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        context.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        if (value) value.value = "";
      });
    }
    if (form && value) {
      form.addEventListener("submit", function () {
        value.value = drawn ? canvas.toDataURL("image/png") : "";
      });
    }
  }
  document.querySelectorAll("[data-signature-pad]").forEach(pad);

  document.querySelectorAll("[data-share]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-share-text") || "";
      var url = button.getAttribute("data-share-url") || "";
      var done = button.getAttribute("data-share-done") || "";
      if (navigator.share) {
        navigator.share({ text: text, url: url }).catch(function () {});
      } else if (navigator.clipboard) {
        navigator.clipboard.writeText(text + " " + url).then(function () {
          if (done) button.textContent = done;
        });
      }
    });
  });
})();

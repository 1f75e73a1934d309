// An import's progress: import.progress messages over the notification socket move the bar; the page
// reloads when the job is done or failed. data-import-job, data-state and data-status-url say which job.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-job]");
  if (!box) return;
  var id = parseInt(box.getAttribute("data-import-job"), 10);
  function show(m) {
    box.querySelector("[data-progress]").value = m.processed;
    box.querySelector("[data-processed]").textContent = m.processed;
    if (m.status === "done" || m.status === "failed") location.reload();
  }
  document.addEventListener("realtime:message", function (e) {
    if (e.detail.type === "import.progress" && e.detail.job === id) show(e.detail);
  });
  var status = box.getAttribute("data-state");
  if (status === "queued" || status === "running") {
    // Fallback while the socket connects: ask once a few seconds later.
    setTimeout(function () { fetch(box.getAttribute("data-status-url")).then(function (r) { return r.json(); }).then(show); }, 3000);
  }
})();

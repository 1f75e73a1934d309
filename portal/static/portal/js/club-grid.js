// A facility's availability grid, live: the page subscribes to the facility's topic on the notification socket
// (portal.js) and every club.availability message sets the places left of the cells it names, their colour by
// fullness and whether they can still be chosen. When the subscription is (re)made the grid is read again
// from the API, so a change between the page's rendering and the subscription is not missed.
// Where the grid has data-waitlist="on", a full cell can be chosen too: the form then offers "Join the
// waitlist" instead of "Book" (data-join-waitlist / data-book), and switches back when a place frees up.
(function () {
  "use strict";
  var grid = document.querySelector("[data-club-grid]");
  if (!grid) return;
  var facilityId = parseInt(grid.getAttribute("data-club-grid"), 10);
  var fullText = grid.getAttribute("data-full-text") || "0";
  var waitlist = grid.getAttribute("data-waitlist") === "on";
  var bookButton = document.querySelector("[data-book]");
  var joinButton = document.querySelector("[data-join-waitlist]");
  var hint = document.querySelector("[data-waitlist-hint]");

  // The buttons follow the chosen cell: book an open one, join the waitlist of a full one.
  function buttons() {
    if (!bookButton || !joinButton) return;
    var chosen = grid.querySelector("input[name=starts_at]:checked");
    var cell = chosen ? chosen.closest("[data-cell]") : null;
    var full = Boolean(cell && cell.getAttribute("data-state") === "full");
    bookButton.hidden = full;
    joinButton.hidden = !full;
    if (hint) hint.hidden = Boolean(cell);
    grid.setAttribute("data-chosen-state", cell ? cell.getAttribute("data-state") : "");
  }

  function level(capacity, left) {
    if (left <= 0) return "full";
    var taken = capacity - left;
    if (taken * 2 < capacity) return "free";
    return taken * 4 < capacity * 3 ? "some" : "most";
  }
  function apply(ms, left) {
    var cell = grid.querySelector('[data-cell="' + ms + '"]');
    if (!cell) return;
    var state = cell.getAttribute("data-state");
    if (state !== "open" && state !== "full") return;  // past, closed, too soon, not yet: unchanged
    var capacity = parseInt(cell.getAttribute("data-capacity"), 10) || 1;
    var input = cell.querySelector("input");
    var count = cell.querySelector("[data-left]");
    cell.setAttribute("data-state", left > 0 ? "open" : "full");
    cell.setAttribute("data-left-value", String(left));
    cell.className = cell.className.replace(/\blvl-\w+/, "lvl-" + level(capacity, left));
    if (count) count.textContent = left > 0 ? String(left) : fullText;
    if (input) {
      input.disabled = left <= 0 && !waitlist;
      if (input.disabled && input.checked) input.checked = false;
    }
    buttons();
  }
  function refresh() {
    var url = grid.getAttribute("data-refresh-url");
    if (!url || !window.fetch) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        data.days.forEach(function (day) {
          day.cells.forEach(function (c) { if (c.state === "open" || c.state === "full") apply(Date.parse(c.starts_at), c.left); });
        });
      })
      .catch(function () {});
  }
  document.addEventListener("realtime:message", function (e) {
    var m = e.detail;
    if (m.type === "club.availability" && m.facility === facilityId) {
      m.cells.forEach(function (c) { apply(Date.parse(c.starts_at), c.left); });
      grid.setAttribute("data-updates", String((parseInt(grid.getAttribute("data-updates"), 10) || 0) + 1));
    } else if (m.type === "subscribed" && m.topic === "facility" && m.id === facilityId) {
      grid.setAttribute("data-live", "on");
      refresh();
    } else if (m.type === "subscribe_refused" && m.topic === "facility" && m.id === facilityId) {
      grid.setAttribute("data-live", "refused");
    }
  });
  // A tap on a cell chooses it (the radio inside does that already) and brings the form into view on phones.
  grid.addEventListener("change", function (e) {
    var form = document.querySelector("[data-booking-submit]");
    if (e.target.name !== "starts_at") return;
    buttons();
    if (form && form.scrollIntoView) form.scrollIntoView({ block: "nearest" });
  });
  buttons();
  if (window.portalRealtime) window.portalRealtime.subscribe("facility", facilityId);
})();

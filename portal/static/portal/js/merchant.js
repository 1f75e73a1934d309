// The merchant portal's live notices: one socket per tab to /ws/merchant/ (the platform domain). Each notice
// (a company's decision on an application, later an order) is shown as a toast, inserted at the top of the
// dashboard's feed, and the dashboard's figures are fetched again (htmx, on the "merchant-notice" event).
// On reconnect it asks for what it missed since the last notice it saw. No inline scripts (CSP).
(function () {
  "use strict";
  var marker = document.querySelector("[data-merchant-realtime-url]");
  if (!marker || !("WebSocket" in window)) return;
  var toasts = document.querySelector("[data-toasts]");
  var lastId = 0, retry = 0;
  document.querySelectorAll("[data-notice]").forEach(function (el) {
    lastId = Math.max(lastId, parseInt(el.getAttribute("data-notice"), 10) || 0);
  });

  function toast(message) {
    if (!toasts) return;
    var el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    el.setAttribute("data-toast", message.kind || "");
    var title = document.createElement("b");
    title.textContent = message.title || "";
    el.appendChild(title);
    if (message.body) {
      var body = document.createElement("div");
      body.textContent = message.body;
      el.appendChild(body);
    }
    toasts.appendChild(el);
    setTimeout(function () { el.remove(); }, 8000);
  }
  function insert(message) {
    var feed = document.querySelector("[data-notice-feed]");
    if (!feed) return;
    var empty = feed.querySelector("[data-no-notices]");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.setAttribute("data-notice", String(message.id || ""));
    li.setAttribute("data-notice-kind", message.kind || "");
    var title = document.createElement("b");
    title.textContent = message.title || "";
    li.appendChild(title);
    if (message.body) {
      li.appendChild(document.createElement("br"));
      var body = document.createElement("span");
      body.textContent = message.body;
      li.appendChild(body);
    }
    feed.insertBefore(li, feed.firstChild);
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + marker.getAttribute("data-merchant-realtime-url"));
    socket.onopen = function () {
      retry = 0;
      document.documentElement.setAttribute("data-merchant-realtime", "open");
      socket.send(JSON.stringify({ type: "resume", last_id: lastId }));
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type !== "merchant.notice") return;
      if (message.id && message.id <= lastId) return;  // already shown
      lastId = Math.max(lastId, message.id || 0);
      toast(message);
      insert(message);
      document.body.dispatchEvent(new CustomEvent("merchant-notice", { detail: message }));
    };
    socket.onclose = function (event) {
      document.documentElement.setAttribute("data-merchant-realtime", "closed");
      if (event.code === 4401 || event.code === 4404) return;  // signed out: don't hammer
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * Math.pow(2, retry));
    };
  }
  connect();
})();

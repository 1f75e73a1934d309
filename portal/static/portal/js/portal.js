// Portal behaviour: phone navigation toggle, forms sent once, htmx triggers by field name, and the
// notification socket feeding the bell and toasts. One socket per tab; on reconnect it asks for what it
// missed since the last id it saw. No inline scripts anywhere (the CSP forbids them): pages say what they
// need with data attributes.
(function () {
  "use strict";
  // <form data-submit-once>: a second click does nothing (the server also records one payment per form).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-submit-once]") || event.defaultPrevented) return;
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }, 0);
  });
  // <div data-change-names="estate building">: a change of one of those fields inside fires "names-changed"
  // on the div (hx-trigger="names-changed"), without htmx's eval-based event filters.
  document.addEventListener("change", function (event) {
    var target = event.target;
    var box = target.closest && target.closest("[data-change-names]");
    if (!box || !window.htmx) return;
    if (box.getAttribute("data-change-names").split(" ").indexOf(target.name) >= 0) {
      window.htmx.trigger(box, "names-changed");
    }
  });

  var toggle = document.querySelector("[data-nav-toggle]");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var nav = document.getElementById("sidenav");
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Topic subscriptions of this page (window.portalRealtime.subscribe("facility", 7)): sent on every (re)connect,
  // answered "subscribed" or "subscribe_refused" (dispatched as realtime:message like everything else).
  var subscriptions = [], socket = null;
  window.portalRealtime = {
    subscribe: function (topic, id) {
      subscriptions.push({ topic: topic, id: id });
      if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "subscribe", topic: topic, id: id }));
    }
  };

  var marker = document.querySelector("[data-realtime-url]");
  if (!marker || !("WebSocket" in window)) return;
  var badge = document.querySelector("[data-unread]");
  var toasts = document.querySelector("[data-toasts]");
  var lastId = 0, retry = 0;

  function setUnread(n) {
    if (!badge) return;
    badge.textContent = String(n);
    badge.hidden = n <= 0;
  }
  function toast(message) {
    var el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    el.setAttribute("data-toast", message.kind || "");
    var title = document.createElement("a");
    // Opening it marks it read, then goes where it points.
    title.href = message.id ? "/notifications/" + message.id + "/open/" : (message.url || "/notifications/");
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
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + marker.getAttribute("data-realtime-url"));
    socket.onopen = function () {
      retry = 0;
      document.documentElement.setAttribute("data-realtime", "open");
      if (lastId) socket.send(JSON.stringify({ type: "resume", last_id: lastId }));
      subscriptions.forEach(function (s) { socket.send(JSON.stringify({ type: "subscribe", topic: s.topic, id: s.id })); });
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      document.dispatchEvent(new CustomEvent("realtime:message", { detail: message }));
      if (message.type === "hello") { setUnread(message.unread); return; }
      if (message.type === "notification") {
        if (message.id && message.id <= lastId) return;  // already shown
        lastId = Math.max(lastId, message.id || 0);
        setUnread((parseInt(badge && badge.textContent, 10) || 0) + 1);
        toast(message);
      }
    };
    socket.onclose = function (event) {
      document.documentElement.setAttribute("data-realtime", "closed");
      if (event.code === 4401 || event.code === 4404) return;  // signed out or no company: don't hammer
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * Math.pow(2, retry));
    };
  }
  connect();
})();

// The resident's card payment and autopay set-up with Stripe.js Elements (Stripe, or localstripe's imitation).
// Pay: create the payment (idempotent per attempt) → SetupIntent → confirmCardSetup → the server confirms the
// PaymentIntent with that card → 3-D Secure in the browser when asked → the result page. Every failure is
// shown on the page; nothing is marked paid here, the server decides.
(function () {
  "use strict";
  if (typeof window.Stripe !== "function") return;

  function post(form, url, body) {
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var err = new Error(data.error || form.getAttribute("data-msg-generic"));
          err.server = true;
          throw err;
        }
        return data;
      });
    });
  }

  function setup(form) {
    var stripe = window.Stripe(form.getAttribute("data-publishable-key"));
    var box = form.querySelector("[data-card-element]");
    var card = null;
    if (box) {
      card = stripe.elements().create("card", { hidePostalCode: false });
      card.mount(box);
    }
    var button = form.querySelector("[data-pay-submit]");
    var errorBox = form.querySelector("[data-pay-error]");
    var statusBox = form.querySelector("[data-pay-status]");
    var baseKey = form.getAttribute("data-idempotency-key") || "";
    var attempt = 1;
    var busy = false;

    function showError(message) {
      statusBox.hidden = true;
      errorBox.textContent = message || form.getAttribute("data-msg-generic");
      errorBox.hidden = false;
    }
    function showStatus(message) {
      errorBox.hidden = true;
      statusBox.textContent = message;
      statusBox.hidden = false;
    }
    function fail(err) {
      // A new attempt gets a new key: the failed PaymentIntent is not reused (the bills are payable again).
      attempt += 1;
      var message = err && err.message;
      if (err && !err.server && err instanceof TypeError) message = form.getAttribute("data-msg-network");
      showError(message);
      busy = false;
      button.disabled = false;
    }
    function method() {
      var checked = form.querySelector("input[name=method_type]:checked");
      return checked ? checked.value : "card";
    }
    function saveCard() {
      return post(form, form.getAttribute("data-setup-url")).then(function (seti) {
        return stripe.confirmCardSetup(seti.client_secret, { payment_method: { card: card } });
      }).then(function (result) {
        if (result.error) {
          var err = new Error(result.error.message || form.getAttribute("data-msg-generic"));
          err.server = true;
          throw err;
        }
        var pm = result.setupIntent.payment_method;
        return typeof pm === "string" ? pm : pm.id;
      });
    }
    function finish(state) {
      if (state.status === "failed" || state.status === "canceled") {
        var err = new Error(state.message || form.getAttribute("data-msg-generic"));
        err.server = true;
        throw err;
      }
      showStatus(form.getAttribute("data-msg-paid"));
      // Swap in the result page without leaving this one: the notification socket stays open, so the
      // "payment received" toast pushed when the server recorded the payment is seen here.
      return fetch(state.result_url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error("result page");
        return response.text();
      }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var main = doc.getElementById("main");
        if (!main) throw new Error("result page");
        document.getElementById("main").innerHTML = main.innerHTML;
        document.title = doc.title;
        history.pushState({}, "", state.result_url);
        // Back goes to the (fresh) payment page, not to this swapped-in content.
        window.addEventListener("popstate", function () { window.location.reload(); });
        window.scrollTo(0, 0);
      }).catch(function () { window.location.assign(state.result_url); });
    }
    function afterConfirm(state) {
      if (state.status !== "requires_action") return state;
      // 3-D Secure: the bank's check runs in the browser, then the server reads the intent again.
      return stripe.confirmCardPayment(state.client_secret).then(function (result) {
        return post(form, state.result_url + "refresh/").then(function (fresh) {
          if (result.error && fresh.status !== "succeeded") {
            var err = new Error(result.error.message || form.getAttribute("data-msg-generic"));
            err.server = true;
            throw err;
          }
          return fresh;
        });
      });
    }
    function pollQr(state) {
      return new Promise(function (resolve, reject) {
        var tries = 0;
        (function tick() {
          post(form, state.result_url + "refresh/").then(function (fresh) {
            tries += 1;
            if (fresh.status === "succeeded" || fresh.status === "failed" || tries > 200) resolve(fresh);
            else setTimeout(tick, 3000);
          }, reject);
        })();
      });
    }
    function pay() {
      var lines = Array.prototype.map.call(form.querySelectorAll("[data-pay-line]"), function (row) {
        return row.getAttribute("data-pay-line");
      });
      var topUp = form.querySelector("[data-top-up]");
      var kind = method();
      return post(form, form.getAttribute("data-start-url"), {
        unit: form.getAttribute("data-unit"),
        lines: topUp ? [] : lines,
        top_up: topUp ? topUp.value : "",
        method_type: kind,
        idempotency_key: baseKey + "-" + attempt,
      }).then(function (state) {
        if (state.status === "succeeded") return state;
        if (kind !== "card") {
          return post(form, state.result_url + "redirect/").then(function (next) {
            if (next.redirect_url) { window.location.assign(next.redirect_url); return new Promise(function () {}); }
            if (next.qr_image) {
              var qr = form.querySelector("[data-qr]");
              qr.querySelector("img").src = next.qr_image;
              qr.hidden = false;
              return pollQr(next);
            }
            return next;
          });
        }
        return saveCard().then(function (pm) {
          return post(form, state.result_url + "confirm/", { payment_method: pm });
        }).then(afterConfirm);
      }).then(finish);
    }
    function enableAutopay() {
      var max = form.querySelector("[data-monthly-max-input]");
      if (!max.value.trim()) {
        max.focus();
        return Promise.reject(Object.assign(new Error(max.closest(".field").querySelector("label").textContent), { server: true }));
      }
      return saveCard().then(function (pm) {
        return post(form, form.getAttribute("data-enable-url"), {
          unit: form.getAttribute("data-unit"),
          payment_method: pm,
          monthly_max: max.value,
        });
      }).then(function (done) {
        showStatus(form.getAttribute("data-msg-paid"));
        window.location.assign(done.result_url);
      });
    }

    Array.prototype.forEach.call(form.querySelectorAll("input[name=method_type]"), function (radio) {
      radio.addEventListener("change", function () {
        var cardBox = form.querySelector("[data-card-box]");
        if (cardBox) cardBox.hidden = method() !== "card";
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;  // a double click: one attempt at a time (and the server's key makes it one intent)
      busy = true;
      button.disabled = true;
      showStatus(form.getAttribute("data-msg-working"));
      var run = form.getAttribute("data-mode") === "autopay" ? enableAutopay : pay;
      run().catch(fail);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-pay-form]"), setup);
})();

"""Alipay and WeChat Pay, server side, against recorded Stripe responses (localstripe has neither): the intent
asks Stripe for exactly that payment-method type, the redirect URL (Alipay) or QR code (WeChat Pay) comes
from Stripe's next_action, the payment posts once when it succeeds, and a switched-off method is refused.

The recordings (recorded/*.json) follow Stripe's documented PaymentIntent object; the replaying HTTP client
answers each request with the next recording, after checking it is the request the recording answers, and
copies the amount and metadata the create request sent into every answer (they differ per test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

from backend.billing.models import Payment
from backend.errors import ApplicationError
from backend.payments import providers
from backend.payments.models import PaymentSettings
from backend.payments.online import online_payment_redirect, online_payment_refresh, online_payment_start

from .conftest import Home, owed
from .test_webhooks import deliver, event_payload

pytestmark = pytest.mark.usefixtures("localstripe")

RECORDED = Path(__file__).parent / "recorded"
RETURN_URL = "https://alpha.localhost/resident/pay/1/"


class ReplayingClient(stripe.HTTPClient):
    """A stripe HTTP client that sends nothing: it answers from a recording and keeps what was asked."""

    name = "replay"

    def __init__(self, recording: str) -> None:
        super().__init__()
        self.recorded: list[dict[str, Any]] = json.loads((RECORDED / recording).read_text())
        self.requests: list[dict[str, Any]] = []
        self.overlay: dict[str, Any] = {}

    def request(
        self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None
    ) -> tuple[str, int, dict[str, str]]:
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        params = dict(parse_qsl(body, keep_blank_values=True))
        self.requests.append({"method": method, "path": parts.path, "params": params, "headers": dict(headers or {})})
        assert self.recorded, f"no recording left for {method} {parts.path}"
        answer = self.recorded.pop(0)
        assert (method, parts.path) == (answer["request"]["method"], answer["request"]["path"])
        if parts.path == "/v1/payment_intents" and method == "post":
            self.overlay = {
                "amount": int(params["amount"]),
                "metadata": {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")},
            }
        obj = {**answer["body"], **self.overlay}
        if obj["status"] == "succeeded":
            obj["amount_received"] = obj["amount"]
        return json.dumps(obj), answer["status"], answer["headers"]

    def close(self) -> None:
        pass


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def use(recording: str) -> ReplayingClient:
        client = ReplayingClient(recording)
        monkeypatch.setattr(providers, "HTTP_CLIENT", client)
        return client

    yield use


@pytest.fixture
def wallets(home: Home) -> PaymentSettings:
    rule = PaymentSettings.load()
    rule.alipay_enabled = rule.wechat_enabled = True
    rule.save()
    return rule


def test_alipay_asks_stripe_for_alipay_and_sends_the_payer_to_its_redirect(
    home: Home, wallets: PaymentSettings, replay: Any
) -> None:
    stripe_http = replay("alipay.json")
    line = home.jan[0]
    op, created = online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk], method_type="alipay")
    assert created and op.intent_id == "pi_3QhAlipayRecorded01" and op.method_type == "alipay"
    create = stripe_http.requests[0]
    assert (create["method"], create["path"]) == ("post", "/v1/payment_intents")
    assert create["params"]["payment_method_types[0]"] == "alipay"
    assert not any(k.startswith("payment_method_types[1]") for k in create["params"])
    assert (create["params"]["amount"], create["params"]["currency"]) == (str(line.amount), "cny")
    assert create["params"]["metadata[tenant]"] == "alpha"
    assert create["params"]["metadata[online_payment]"] == str(op.pk)
    assert "customer" not in create["params"]  # no card to save: no Stripe customer
    assert create["headers"]["Idempotency-Key"] == f"alpha:online:{op.pk}"

    op, intent = online_payment_redirect(op, return_url=RETURN_URL)
    confirm = stripe_http.requests[1]
    assert confirm["path"] == f"/v1/payment_intents/{op.intent_id}/confirm"
    assert (confirm["params"]["payment_method_data[type]"], confirm["params"]["return_url"]) == ("alipay", RETURN_URL)
    assert op.status == "requires_action" and op.payment_id is None
    assert intent.redirect_url.startswith("https://hooks.stripe.com/redirect/authenticate/src_")
    assert intent.qr_code == {}

    # The payer comes back from Alipay: the result page asks Stripe and the payment posts, as Alipay.
    op = online_payment_refresh(op)
    assert op.status == "succeeded" and owed(line) == 0
    assert op.payment_id is not None
    payment = Payment.objects.get(pk=op.payment_id)
    assert (payment.method, payment.channel, payment.amount, payment.reference) == (
        "alipay",
        "online",
        line.amount,
        op.intent_id,
    )
    assert stripe_http.recorded == []  # every recorded answer was asked for, in order


def test_wechat_pay_shows_the_qr_code_and_its_webhook_posts_once(
    home: Home, wallets: PaymentSettings, replay: Any
) -> None:
    stripe_http = replay("wechat_pay.json")
    lines = home.jan[:2]
    op, _ = online_payment_start(
        user=home.user, unit=home.unit, line_ids=[line.pk for line in lines], method_type="wechat_pay"
    )
    create = stripe_http.requests[0]["params"]
    assert create["payment_method_types[0]"] == "wechat_pay"
    assert create["payment_method_options[wechat_pay][client]"] == "web"
    assert create["amount"] == str(sum(line.amount for line in lines))

    op, intent = online_payment_redirect(op, return_url=RETURN_URL)
    assert stripe_http.requests[1]["params"]["payment_method_data[type]"] == "wechat_pay"
    assert op.status == "requires_action"
    assert intent.qr_code["data"].startswith("weixin://wxpay/bizpayurl")
    assert intent.qr_code["image_data_url"].startswith("data:image/png;base64,")
    assert intent.redirect_url == ""

    # The payer scans and pays on the phone; the webhook tells us (the succeeded intent, as Stripe has it).
    succeeded = {**stripe_http.recorded[0]["body"], **stripe_http.overlay, "amount_received": op.amount}
    assert succeeded["status"] == "succeeded"
    assert deliver(event_payload("payment_intent.succeeded", succeeded)).status == "processed"
    assert deliver(event_payload("payment_intent.succeeded", succeeded)).status == "processed"
    op.refresh_from_db()
    assert op.status == "succeeded" and [owed(line) for line in lines] == [0, 0]
    assert list(Payment.objects.filter(reference=op.intent_id).values_list("method", "amount")) == [
        ("wechat", op.amount)
    ]


@pytest.mark.parametrize("method_type", ["alipay", "wechat_pay"])
def test_a_method_the_company_has_not_switched_on_is_refused(home: Home, replay: Any, method_type: str) -> None:
    stripe_http = replay("alipay.json")
    with pytest.raises(ApplicationError) as err:
        online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk], method_type=method_type)
    assert "method_type" in err.value.fields
    assert stripe_http.requests == []


def test_a_method_we_do_not_know_is_refused_even_with_the_wallets_on(
    home: Home, wallets: PaymentSettings, replay: Any
) -> None:
    stripe_http = replay("alipay.json")
    with pytest.raises(ApplicationError) as err:
        online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk], method_type="paypal")
    assert "method_type" in err.value.fields and stripe_http.requests == []

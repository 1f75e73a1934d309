"""Payouts: a recorded bank transfer once per statement and reference; a Stripe Transfer where the merchant has
a Connect account, tested on recorded Stripe responses (localstripe has no Connect): the request Stripe gets,
the idempotency key per payout, a refusal, Stripe unreachable then sent again with the same key, and never a
call inside a database transaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from django.db import transaction

from backend.errors import ApplicationError
from backend.payments import providers
from marketplace.settlement import payouts, statements
from marketplace.settlement.ledger import merchant_totals
from marketplace.settlement.models import PayableEntry, Statement

from .conftest import Shop, buy
from .test_statements import in_month

pytestmark = pytest.mark.django_db
RECORDED = Path(__file__).parent / "recorded"
ACCOUNT = "acct_1QhMerchantFruit"


class ReplayingClient(stripe.HTTPClient):
    """Sends nothing: answers each request with the next recording (after checking it answers that request),
    keeps what was asked; `down` makes it unreachable."""

    name = "replay"

    def __init__(self, recording: str) -> None:
        super().__init__()
        self.recorded: list[dict[str, Any]] = json.loads((RECORDED / recording).read_text())
        self.requests: list[dict[str, Any]] = []
        self.down = False

    def request(
        self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None
    ) -> tuple[str, int, dict[str, str]]:
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        params = dict(parse_qsl(body, keep_blank_values=True))
        self.requests.append({"method": method, "path": parts.path, "params": params, "headers": dict(headers or {})})
        if self.down:
            raise stripe.APIConnectionError("connection refused (recorded outage)")
        answer = self.recorded.pop(0)
        assert (method, parts.path) == (answer["request"]["method"], answer["request"]["path"])
        obj = dict(answer["body"])
        if "id" in obj:
            obj["metadata"] = {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")}
            obj["transfer_group"] = params.get("transfer_group")
        return json.dumps(obj), answer["status"], answer["headers"]

    def close(self) -> None:
        pass


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Any:
    settings.STRIPE_SECRET_KEY = "sk_test_recorded"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_recorded"
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    monkeypatch.setattr(payouts, "OUTER_ATOMIC_BLOCKS", 1)  # the test's own transaction (rolled back after)

    def use(recording: str) -> ReplayingClient:
        client = ReplayingClient(recording)
        monkeypatch.setattr(providers, "HTTP_CLIENT", client)
        return client

    return use


def confirmed(shop: Shop, *, connect: bool) -> Statement:
    buy(shop, 2, now=in_month(-1))  # due ¥23.55
    st = statements.statement_build(merchant_id=shop.fruit.pk, month=in_month(-1).date())
    assert st is not None
    if connect:
        payouts.payout_account_set(merchant_id=shop.fruit.pk, values={"stripe_account_id": ACCOUNT}, by=None)
    return statements.statement_confirm(statement_id=st.pk, merchant_id=shop.fruit.pk, user_id=None)


def test_a_bank_transfer_pays_a_confirmed_statement_once(funded: Shop) -> None:
    buy(funded, 2, now=in_month(-1))
    st = statements.statement_build(merchant_id=funded.fruit.pk, month=in_month(-1).date())
    assert st is not None
    with pytest.raises(ApplicationError) as unconfirmed:
        payouts.payout_record_bank(statement_id=st.pk, reference="B-1", by=None)
    assert unconfirmed.value.code == "invalid_state"
    statements.statement_confirm(statement_id=st.pk, merchant_id=funded.fruit.pk, user_id=None)
    with pytest.raises(ApplicationError):
        payouts.payout_record_bank(statement_id=st.pk, reference="  ", by=None)
    payout = payouts.payout_record_bank(statement_id=st.pk, reference="B-1", by=None)
    assert (payout.amount_fen, payout.status, payout.method) == (2355, "paid", "bank_transfer")
    assert Statement.objects.get(pk=st.pk).status == "paid"
    with pytest.raises(ApplicationError):
        payouts.payout_record_bank(statement_id=st.pk, reference="B-2", by=None)  # paid already
    totals = merchant_totals(funded.fruit.pk)
    assert (totals["paid_out_fen"], totals["balance_fen"]) == (2355, 0)
    assert PayableEntry.objects.filter(kind="payout").count() == 1


def test_a_merchant_with_a_connect_account_is_paid_by_a_stripe_transfer(funded: Shop, replay: Any) -> None:
    st = confirmed(funded, connect=True)
    with pytest.raises(ApplicationError) as bank:
        payouts.payout_record_bank(statement_id=st.pk, reference="B-1", by=None)
    assert bank.value.code == "pay_by_stripe"
    http = replay("transfer.json")
    payout = payouts.payout_stripe(statement_id=st.pk, by=None)
    (sent,) = http.requests
    assert (sent["method"], sent["path"]) == ("post", "/v1/transfers")
    p = sent["params"]
    assert (p["amount"], p["currency"], p["destination"], p["transfer_group"]) == ("2355", "cny", ACCOUNT, st.code)
    assert (p["metadata[tenant]"], p["metadata[statement]"], p["metadata[payout]"]) == (
        "alpha",
        str(st.pk),
        str(payout.pk),
    )
    assert sent["headers"]["Idempotency-Key"] == f"alpha:payout:{payout.pk}"
    assert (payout.status, payout.reference, payout.method) == ("paid", "tr_1QhSettlementRec01", "stripe_transfer")
    assert Statement.objects.get(pk=st.pk).status == "paid"
    assert merchant_totals(funded.fruit.pk)["balance_fen"] == 0


def test_a_transfer_stripe_refuses_fails_and_leaves_the_statement_payable(funded: Shop, replay: Any) -> None:
    st = confirmed(funded, connect=True)
    replay("transfer_refused.json")
    payout = payouts.payout_stripe(statement_id=st.pk, by=None)
    assert payout.status == "failed" and "No such destination" in payout.failure
    assert Statement.objects.get(pk=st.pk).status == "confirmed"
    assert not PayableEntry.objects.filter(kind="payout").exists()
    replay("transfer.json")
    again = payouts.payout_stripe(statement_id=st.pk, by=None)  # a new payout, a new key
    assert again.pk != payout.pk and again.status == "paid"


def test_stripe_unreachable_leaves_the_payout_sending_and_the_retry_uses_the_same_key(
    funded: Shop, replay: Any
) -> None:
    st = confirmed(funded, connect=True)
    http = replay("transfer.json")
    http.down = True
    with pytest.raises(ApplicationError) as down:
        payouts.payout_stripe(statement_id=st.pk, by=None)
    assert down.value.code == "gateway_unavailable"
    assert Statement.objects.get(pk=st.pk).status == "paying"
    with pytest.raises(ApplicationError):
        payouts.payout_stripe(statement_id=st.pk, by=None)  # no second payout while one is being sent
    http.down = False
    assert payouts.payouts_sending_retry() == 1
    keys = {r["headers"]["Idempotency-Key"] for r in http.requests}
    assert len(keys) == 1
    assert Statement.objects.get(pk=st.pk).status == "paid"
    assert PayableEntry.objects.filter(kind="payout").count() == 1


def test_stripe_is_never_called_inside_a_database_transaction(funded: Shop, replay: Any) -> None:
    st = confirmed(funded, connect=True)
    http = replay("transfer.json")
    payout = payouts.payout_stripe_start(statement_id=st.pk, by=None)
    with pytest.raises(RuntimeError, match="never called inside"), transaction.atomic():
        payouts.payout_stripe_send(payout.pk)
    assert http.requests == []

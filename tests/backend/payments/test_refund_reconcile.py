"""A refund is written as `requested` before Stripe is asked and applied after it answered. When the database
step fails after Stripe refunded, the webhook or the periodic re-check records it, once; when Stripe cannot
be reached, what is refundable is as it was; a refund Stripe made although the call timed out is recorded
late; and a cashier's day cannot be closed while one of their refunds waits for Stripe's answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from backend.billing.models import LedgerEntry, Payment
from backend.billing.selectors import payment_refunded
from backend.errors import ApplicationError
from backend.payments.dayclose import day_close
from backend.payments.models import Refund
from backend.payments.providers import GatewayUnavailable, StripeProvider, stripe_provider
from backend.payments.refunds import refund_create, refund_left
from backend.payments.tasks import refunds_recheck_here

from .conftest import Home, owed, stripe_answer_lost
from .test_refunds import charge_refunded, paid_online, stripe_refunds
from .test_webhooks import deliver, event_payload

pytestmark = pytest.mark.usefixtures("localstripe")

NOW = dt.timedelta(0)  # the re-check's wait, for tests: everything is due


@pytest.fixture
def ledger_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The ledger step after Stripe's answer fails (the database went away) for one call."""
    from backend.billing import ledger

    real = ledger.refund_record

    def broken(**kwargs: Any) -> Any:
        monkeypatch.setattr(ledger, "refund_record", real)
        raise RuntimeError("the database connection was lost")

    monkeypatch.setattr(ledger, "refund_record", broken)
    yield


def refund_that_lost_its_ledger_step(home: Home, base: str, by: Any, amount: int = 1500) -> tuple[Payment, Refund]:
    _, payment = paid_online(home, base)
    with pytest.raises(RuntimeError):
        refund_create(payment=payment, amount=amount, reason="多收物业费", by=by)
    refund = Refund.objects.get(payment=payment)
    # Stripe gave the money back; we know its id, but nothing is in the ledger yet.
    assert refund.status == "requested" and str(refund.provider_refund_id).startswith("re_")
    assert stripe_refunds(payment.reference) == [(refund.provider_refund_id, amount)]
    assert refund.entry_id is None and payment_refunded(payment.pk) == 0
    return payment, refund


def assert_recorded_once(payment: Payment, refund: Refund, amount: int) -> None:
    refund.refresh_from_db()
    assert (refund.status, refund.amount) == ("succeeded", amount) and refund.entry is not None
    assert list(Refund.objects.filter(payment=payment).values_list("pk", flat=True)) == [refund.pk]
    entries = LedgerEntry.objects.filter(payment=payment, kind="refund")
    assert list(entries.values_list("amount", flat=True)) == [amount]
    assert refund_left(payment) == payment.amount - amount


def test_a_refund_whose_ledger_step_failed_after_stripe_refunded_is_recorded_by_the_webhook(
    home: Home, localstripe: str, finance: Any, ledger_down: None
) -> None:
    payment, refund = refund_that_lost_its_ledger_step(home, localstripe, finance)
    # Meanwhile it counts against what is left: another refund cannot take the same money.
    assert refund_left(payment) == payment.amount - 1500
    with pytest.raises(ApplicationError) as err:
        refund_create(payment=payment, amount=payment.amount - 1499, reason="再退", by=finance)
    assert "amount" in err.value.fields
    event = deliver(charge_refunded(payment.reference))
    assert event.status == "processed", event.note
    assert_recorded_once(payment, refund, 1500)
    assert refund.entry.created_by_id == finance.pk  # in the name of who asked for it
    # The same event again, and the re-check afterwards: nothing more.
    deliver(charge_refunded(payment.reference))
    assert refunds_recheck_here(older_than=NOW) == 0
    assert_recorded_once(payment, refund, 1500)


def test_a_refund_whose_ledger_step_failed_is_recorded_by_the_periodic_recheck_and_holds_the_day_close(
    home: Home, localstripe: str, finance: Any, ledger_down: None
) -> None:
    from django.utils import timezone

    payment, refund = refund_that_lost_its_ledger_step(home, localstripe, finance)
    with pytest.raises(ApplicationError) as held:
        day_close(cashier=finance, day=timezone.localdate(), by=finance)
    assert held.value.code == "refund_in_flight" and held.value.status == 409
    assert refunds_recheck_here(older_than=dt.timedelta(minutes=2)) == 0  # too young: the request may still answer
    assert refunds_recheck_here(older_than=NOW) == 1
    assert_recorded_once(payment, refund, 1500)
    refund.refresh_from_db()
    assert refund.checked_at is not None
    assert refunds_recheck_here(older_than=NOW) == 0  # nothing is waiting any more
    close = day_close(cashier=finance, day=timezone.localdate(), by=finance)
    assert close.refund_total == 1500


def test_the_refund_recheck_runs_periodically() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["payments-refunds-recheck"]
    assert entry["task"] == "backend.payments.tasks.refunds_recheck" and entry["schedule"] <= 15 * 60


def test_with_stripe_unreachable_a_refund_leaves_what_is_refundable_unchanged(
    home: Home, localstripe: str, finance: Any, settings: Any
) -> None:
    op, payment = paid_online(home, localstripe)
    lines = home.jan[:2]
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(GatewayUnavailable) as err:
        refund_create(payment=payment, amount=1000, reason="退款", by=finance)
    assert err.value.status == 503
    assert refund_left(payment) == payment.amount and payment_refunded(payment.pk) == 0
    assert [owed(line) for line in lines] == [0, 0]  # nothing reopened
    failed = Refund.objects.get(payment=payment)
    assert (failed.status, failed.failure_code, failed.entry_id) == ("failed", "gateway_unavailable", None)
    # Back again: the whole amount can be refunded, and Stripe has exactly that one refund.
    settings.STRIPE_API_BASE = localstripe
    again = refund_create(payment=payment, amount=payment.amount, reason="全部退回", by=finance)
    assert again.status == "succeeded" and refund_left(payment) == 0
    assert [amount for _, amount in stripe_refunds(str(op.intent_id))] == [payment.amount]
    # The re-check asks Stripe about the failed one, finds nothing of it, and leaves it failed.
    assert refunds_recheck_here(older_than=NOW) == 1
    failed.refresh_from_db()
    assert failed.status == "failed" and failed.checked_at is not None
    assert list(LedgerEntry.objects.filter(payment=payment, kind="refund").values_list("amount", flat=True)) == [
        payment.amount
    ]


@pytest.fixture
def answer_lost(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stripe makes the refund, then the connection times out before its answer reaches us (once)."""
    return stripe_answer_lost(monkeypatch, "refund_create")


@pytest.mark.parametrize("found_by", ["refund.updated webhook", "re-check"])
def test_a_refund_stripe_made_although_the_call_timed_out_is_recorded_late_once(
    home: Home, localstripe: str, finance: Any, answer_lost: list[str], found_by: str
) -> None:
    _, payment = paid_online(home, localstripe)
    with pytest.raises(GatewayUnavailable):
        refund_create(payment=payment, amount=800, reason="多收", by=finance)
    refund = Refund.objects.get(payment=payment)
    assert (refund.status, refund.provider_refund_id) == ("failed", None)
    assert refund_left(payment) == payment.amount  # as far as we could tell, nothing went back
    (made,) = answer_lost
    if found_by == "re-check":
        assert refunds_recheck_here(older_than=NOW) == 1
    else:
        obj = stripe_provider().client.v1.refunds.retrieve(made).to_dict()
        assert obj["metadata"]["refund"] == str(refund.pk)  # how the webhook knows it is ours
        assert deliver(event_payload("refund.updated", obj)).status == "processed"
    refund.refresh_from_db()
    assert (refund.status, refund.provider_refund_id) == ("succeeded", made)
    assert list(LedgerEntry.objects.filter(payment=payment, kind="refund").values_list("amount", flat=True)) == [800]
    # The gateway's doing by then, like a dashboard refund: not in the cashier's (maybe closed) day.
    assert refund.entry.created_by_id is None
    assert refund_left(payment) == payment.amount - 800
    assert refunds_recheck_here(older_than=NOW) == 0
    assert deliver(charge_refunded(payment.reference)).status == "processed"
    assert Refund.objects.filter(payment=payment).count() == 1 and payment_refunded(payment.pk) == 800


def test_a_requested_refund_stripe_never_heard_of_is_failed_by_the_recheck(
    home: Home, localstripe: str, finance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker died before its request reached Stripe: the amount is held until the re-check finds out."""
    from django.utils import timezone

    _, payment = paid_online(home, localstripe)

    def died(self: StripeProvider, **kwargs: Any) -> Any:
        raise SystemExit("worker killed")

    monkeypatch.setattr(StripeProvider, "refund_create", died)
    with pytest.raises(SystemExit):
        refund_create(payment=payment, amount=600, reason="退", by=finance)
    refund = Refund.objects.get(payment=payment)
    assert refund.status == "requested" and refund_left(payment) == payment.amount - 600
    assert refunds_recheck_here(older_than=NOW) == 1
    refund.refresh_from_db()
    assert (refund.status, refund.failure_code, refund.entry_id) == ("failed", "not_at_gateway", None)
    assert refund_left(payment) == payment.amount and stripe_refunds(payment.reference) == []
    assert day_close(cashier=finance, day=timezone.localdate(), by=finance).refund_total == 0

"""Stripe is asked with no database transaction open and no lock held: starting a payment, confirming it,
refunding it, charging autopay and processing a webhook. Every HTTP call to Stripe (localstripe) is watched
on committed data, and while Stripe is slow to answer a refund the home's money is not locked."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connections, transaction
from django.utils import timezone

from backend.billing import ledger
from backend.billing.models import BillLine, BillRun, Payment
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.payments.models import OnlinePayment, Refund
from backend.payments.online import autopay_charge, autopay_enable, online_payment_confirm, online_payment_start
from backend.payments.providers import StripeProvider, stripe_provider
from backend.payments.refunds import refund_create, refund_left
from tenants.db import connection

from .test_online import saved_card
from .test_races import Committed, committed_line
from .test_refunds import charge_refunded
from .test_webhooks import process_as_the_task, store_event

pytestmark = pytest.mark.usefixtures("localstripe")


@dataclass
class StripeCall:
    name: str
    in_atomic_block: bool
    transaction_status: str
    locks_held: int


def _locks_held() -> int:
    """Advisory locks (the unit's, the cashier's) and transaction ids (any row written or locked FOR UPDATE)
    held by this connection's backend."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype IN ('advisory', 'transactionid')"
        )
        return int(cursor.fetchone()[0])


@pytest.fixture
def stripe_calls(monkeypatch: pytest.MonkeyPatch) -> list[StripeCall]:
    """Every request to Stripe, with the state of the caller's database connection at that moment."""
    calls: list[StripeCall] = []
    real = StripeProvider._call

    def watched(self: StripeProvider, fn: Any, *args: Any, **kwargs: Any) -> Any:
        raw = connection.connection
        status = raw.info.transaction_status.name if raw is not None else "IDLE"
        name = f"{type(fn.__self__).__name__}.{fn.__name__}"
        calls.append(StripeCall(name, connection.in_atomic_block, status, _locks_held()))
        return real(self, fn, *args, **kwargs)

    monkeypatch.setattr(StripeProvider, "_call", watched)
    return calls


@contextlib.contextmanager
def bill_run_of(w: Committed) -> Iterator[BillRun]:
    """The committed line as issued by a posted bill run (what autopay charges), removed afterwards."""
    run = BillRun.objects.create(period=timezone.localdate().replace(day=1), status=BillRun.Status.POSTED)
    BillLine.objects.filter(pk=w.line.pk).update(bill_run=run)
    try:
        yield run
    finally:
        connection.set_tenant(w.tenant)
        BillLine.objects.filter(pk=w.line.pk).update(bill_run=None)
        OnlinePayment.objects.filter(bill_run=run).update(bill_run=None)
        run.delete()
        Notification.objects.filter(recipient=w.user, kind__startswith="autopay.").delete()


def test_the_watch_sees_a_call_made_inside_a_transaction_under_the_units_lock(
    django_db_setup: None, django_db_blocker: Any, stripe_calls: list[StripeCall]
) -> None:
    """The control: the watch below would catch a call made the old way."""
    with django_db_blocker.unblock(), committed_line() as w:
        op, _ = online_payment_start(user=w.user, unit=w.unit, top_up=100)
        stripe_calls.clear()
        with transaction.atomic():
            ledger.unit_lock(w.unit.pk)
            stripe_provider().intent_retrieve(str(op.intent_id))
        (call,) = stripe_calls
        assert (call.name, call.in_atomic_block, call.transaction_status) == (
            "PaymentIntentService.retrieve",
            True,
            "INTRANS",
        )
        assert call.locks_held >= 1


def test_paying_refunding_autopay_and_the_webhook_call_stripe_with_no_transaction_and_no_lock(
    django_db_setup: None, django_db_blocker: Any, localstripe: str, stripe_calls: list[StripeCall]
) -> None:
    with django_db_blocker.unblock(), committed_line(amount=3000) as w:
        # Start (a new Stripe customer and the intent) and confirm (the card, attach, confirm).
        op, created = online_payment_start(user=w.user, unit=w.unit, line_ids=[w.line.pk], idempotency_key="watched")
        assert created
        op = online_payment_confirm(op, payment_method=saved_card(localstripe, w.user))
        assert op.status == "succeeded"
        payment = Payment.objects.get(reference=op.intent_id)
        # A refund, then the charge.refunded webhook about it (it lists the intent's refunds at Stripe).
        refund = refund_create(payment=payment, amount=1000, reason="多收", by=w.user)
        assert refund.status == "succeeded" and refund.entry_id is not None
        event = store_event(charge_refunded(str(op.intent_id)), object_id=str(op.intent_id))
        assert process_as_the_task(event.pk).status == "processed"
        # Autopay: the mandate (the card is looked up) and the off-session charge of a bill run's line.
        refund_create(payment=payment, amount=2000, reason="全退", by=w.user)
        mandate = autopay_enable(
            user=w.user, unit=w.unit, payment_method=saved_card(localstripe, w.user), monthly_max=10_000
        )
        with bill_run_of(w) as run:
            charged = autopay_charge(mandate.pk, run.pk)
            assert charged is not None and charged.status == "succeeded", charged
    names = {call.name for call in stripe_calls}
    assert {
        "CustomerService.create",
        "PaymentIntentService.create",
        "PaymentMethodService.retrieve",
        "PaymentIntentService.update",
        "PaymentIntentService.confirm",
        "RefundService.create",
        "RefundService.list",
    } <= names, names
    inside = [call for call in stripe_calls if call.in_atomic_block or call.transaction_status != "IDLE"]
    locked = [call for call in stripe_calls if call.locks_held]
    assert inside == [] and locked == [], (inside, locked)


def test_while_stripe_is_slow_to_refund_the_home_is_not_locked_and_the_refund_counts(
    django_db_setup: None, django_db_blocker: Any, localstripe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refund waiting for Stripe holds no lock: a counter payment of the same home goes through meanwhile,
    and a second refund sees the first counted against what is left (without waiting for it)."""
    at_stripe, release = threading.Event(), threading.Event()
    real = StripeProvider.refund_create

    def slow(self: StripeProvider, **kwargs: Any) -> Any:
        at_stripe.set()
        release.wait(timeout=30)
        return real(self, **kwargs)

    with django_db_blocker.unblock(), committed_line(amount=3000) as w:
        op, _ = online_payment_start(user=w.user, unit=w.unit, line_ids=[w.line.pk])
        op = online_payment_confirm(op, payment_method=saved_card(localstripe, w.user))
        payment = Payment.objects.get(reference=op.intent_id)
        monkeypatch.setattr(StripeProvider, "refund_create", slow)
        out: list[Any] = []

        def first_refund() -> None:
            try:
                connection.set_tenant(w.tenant)
                out.append(refund_create(payment=payment, amount=2000, reason="慢", by=w.user))
            except Exception as error:  # noqa: BLE001 - reported by the assertions below
                out.append(error)
            finally:
                connections.close_all()

        thread = threading.Thread(target=first_refund)
        thread.start()
        try:
            assert at_stripe.wait(timeout=30)
            began = time.monotonic()
            counter = ledger.payment_record(unit=w.unit, amount=500, method="cash", to_prepaid=True).payment
            assert refund_left(payment) == 1000  # 2000 of 3000 are on their way back
            with pytest.raises(ApplicationError) as refused:
                refund_create(payment=payment, amount=1001, reason="再退", by=w.user)
            assert "amount" in refused.value.fields
            assert time.monotonic() - began < 5, "something waited for the refund in flight"
        finally:
            release.set()
            thread.join(timeout=60)
        assert [getattr(r, "status", r) for r in out] == ["succeeded"], out
        assert Payment.objects.filter(pk=counter.pk).exists()
        assert refund_left(payment) == 1000
        assert list(Refund.objects.filter(payment=payment).values_list("amount", "status")) == [(2000, "succeeded")]
        assert [r.amount for r in stripe_provider().refunds_list(str(op.intent_id))] == [2000]

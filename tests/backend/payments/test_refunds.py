"""Refunds keep the ledger true: Stripe refunds for online payments (partial, then the rest), never more than
was paid (refused before Stripe hears of it), refunds made at Stripe directly arriving by `charge.refunded`,
recorded once however they arrive, cash refunds at the counter, and the payer told."""

from __future__ import annotations

from typing import Any

import pytest

from backend.billing import ledger
from backend.billing.models import LedgerEntry, Payment
from backend.billing.selectors import payment_refunded, unit_account
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.payments.models import OnlinePayment, Refund
from backend.payments.online import online_payment_confirm, online_payment_start
from backend.payments.providers import stripe_provider
from backend.payments.refunds import refund_create

from .conftest import Home, owed
from .test_online import saved_card
from .test_webhooks import deliver, event_payload, intent_dict

pytestmark = pytest.mark.usefixtures("localstripe")


def paid_online(home: Home, base: str, n_lines: int = 2) -> tuple[OnlinePayment, Payment]:
    lines = home.jan[:n_lines]
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk for line in lines])
    op = online_payment_confirm(op, payment_method=saved_card(base, home.user))
    assert op.status == "succeeded"
    assert op.payment_id is not None
    return op, Payment.objects.get(pk=op.payment_id)


def stripe_refunds(intent_id: str) -> list[tuple[str, int]]:
    return sorted((r.id, r.amount) for r in stripe_provider().refunds_list(intent_id))


def charge_refunded(intent_id: str) -> bytes:
    """charge.refunded as Stripe sends it: the intent's charge, which carries the intent's metadata."""
    intent = intent_dict(intent_id)
    charge_id = intent["latest_charge"] if isinstance(intent["latest_charge"], str) else intent["latest_charge"]["id"]
    charge = stripe_provider().client.v1.charges.retrieve(charge_id).to_dict()
    refunded = sum(amount for _, amount in stripe_refunds(intent_id))
    charge.update(
        payment_intent=intent_id,
        metadata=intent["metadata"],
        amount_refunded=refunded,
        refunded=refunded >= intent["amount"],
    )
    return event_payload("charge.refunded", charge)


def test_a_partial_then_a_full_refund_go_through_stripe_and_reopen_the_lines(
    home: Home, localstripe: str, finance: Any
) -> None:
    op, payment = paid_online(home, localstripe)
    lines = home.jan[:2]
    part = 1000
    first = refund_create(payment=payment, amount=part, reason="charged twice for garbage", by=finance)
    assert first.provider == "stripe" and str(first.provider_refund_id).startswith("re_") and first.amount == part
    assert first.entry is not None and (first.entry.kind, first.entry.amount) == ("refund", part)
    # The newest line the payment settled reopens first, by exactly the refund.
    assert sum(owed(line) for line in lines) == part
    assert LedgerEntry.objects.filter(payment=payment, kind="unsettle").count() == 1

    rest = payment.amount - part
    second = refund_create(payment=payment, amount=rest, reason="moved out", by=finance)
    assert [owed(line) for line in lines] == [line.amount for line in lines]
    assert payment_refunded(payment.pk) == payment.amount
    assert stripe_refunds(str(op.intent_id)) == sorted(
        [(first.provider_refund_id, part), (second.provider_refund_id, rest)]
    )
    account = unit_account(home.unit.pk)
    assert (account.paid, account.refunded, account.prepaid) == (payment.amount, payment.amount, 0)


def test_a_refund_never_exceeds_what_was_paid_and_stripe_hears_nothing(
    home: Home, localstripe: str, finance: Any
) -> None:
    op, payment = paid_online(home, localstripe)
    with pytest.raises(ApplicationError) as err:
        refund_create(payment=payment, amount=payment.amount + 1, reason="too much", by=finance)
    assert "amount" in err.value.fields
    refund_create(payment=payment, amount=payment.amount - 100, reason="most of it", by=finance)
    with pytest.raises(ApplicationError) as again:
        refund_create(payment=payment, amount=101, reason="one fen too many", by=finance)
    assert "amount" in again.value.fields
    for bad in (0, -5):
        with pytest.raises(ApplicationError):
            refund_create(payment=payment, amount=bad, reason="nonsense", by=finance)
    assert len(stripe_refunds(str(op.intent_id))) == 1
    assert Refund.objects.filter(payment=payment).count() == 1
    assert payment_refunded(payment.pk) == payment.amount - 100


def test_a_refund_made_at_stripe_arrives_by_charge_refunded_and_is_recorded_once(home: Home, localstripe: str) -> None:
    op, payment = paid_online(home, localstripe)
    at_stripe = stripe_provider().refund_create(
        intent_id=str(op.intent_id), amount=500, metadata={}, idempotency_key=f"dashboard-{op.intent_id}"
    )
    event = deliver(charge_refunded(str(op.intent_id)))
    assert event.status == "processed", event.note
    refund = Refund.objects.get(provider_refund_id=at_stripe.id)
    assert (refund.payment_id, refund.amount, refund.provider, refund.requested_by_id) == (
        payment.pk,
        500,
        "stripe",
        None,
    )
    assert refund.entry is not None and refund.entry.kind == "refund" and payment_refunded(payment.pk) == 500
    # Stripe sends another charge event about the same refund: nothing new.
    assert deliver(charge_refunded(str(op.intent_id))).status == "processed"
    assert Refund.objects.filter(payment=payment).count() == 1
    assert LedgerEntry.objects.filter(payment=payment, kind="refund").count() == 1


def test_a_refund_we_made_arriving_by_webhook_is_not_recorded_twice(home: Home, localstripe: str, finance: Any) -> None:
    op, payment = paid_online(home, localstripe)
    ours = refund_create(payment=payment, amount=payment.amount, reason="full refund", by=finance)
    event = deliver(charge_refunded(str(op.intent_id)))
    assert event.status == "processed"
    assert list(Refund.objects.filter(payment=payment).values_list("pk", flat=True)) == [ours.pk]
    assert payment_refunded(payment.pk) == payment.amount


def test_a_cash_refund_of_a_counter_payment_is_recorded_without_stripe(home: Home, finance: Any) -> None:
    line = home.jan[0]
    payment = ledger.payment_record(
        unit=home.unit, amount=line.amount, method="cash", line_ids=[line.pk], recorded_by=finance
    ).payment
    refund = refund_create(payment=payment, amount=line.amount, reason="paid twice", by=finance)
    assert (refund.provider, refund.provider_refund_id, refund.requested_by_id) == ("offline", None, finance.pk)
    assert owed(line) == line.amount and payment_refunded(payment.pk) == line.amount
    with pytest.raises(ApplicationError):
        refund_create(payment=payment, amount=1, reason="again", by=finance)


def test_the_payer_hears_of_a_refund(
    home: Home, localstripe: str, finance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _, payment = paid_online(home, localstripe, n_lines=1)
    with django_capture_on_commit_callbacks(execute=True):
        refund_create(payment=payment, amount=300, reason="goodwill", by=finance)
    note = Notification.objects.get(kind="payment.refunded", recipient=home.user)
    assert "3.00" in note.title and note.body == "goodwill"


def test_a_counter_refund_is_told_to_the_people_living_in_the_home(
    home: Home, finance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    line = home.jan[0]
    payment = ledger.payment_record(unit=home.unit, amount=line.amount, method="cash", recorded_by=finance).payment
    with django_capture_on_commit_callbacks(execute=True):
        refund_create(payment=payment, amount=200, reason="overcharged", by=finance)
    assert list(Notification.objects.filter(kind="payment.refunded").values_list("recipient_id", flat=True)) == [
        home.user.pk
    ]


def test_charge_refunded_for_a_company_with_its_own_stripe_account_asks_that_account(
    home: Home, localstripe: str, settings: Any, tenant_a: Any
) -> None:
    """Processing lists the intent's refunds on the company's own Stripe account, not the platform's."""
    from backend.gateway.models import StripeAccount

    op, payment = paid_online(home, localstripe)
    at_stripe = stripe_provider().refund_create(
        intent_id=str(op.intent_id), amount=200, metadata={}, idempotency_key=f"own-{op.intent_id}"
    )
    payload = charge_refunded(str(op.intent_id))
    StripeAccount.objects.create(
        tenant=tenant_a, secret_key="sk_test_alpha_own", publishable_key="pk_test_alpha_own", api_base=localstripe
    )
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # the platform's account is out of reach
    event = deliver(payload)
    assert event.status == "processed", event.note
    assert Refund.objects.get(payment=payment).provider_refund_id == at_stripe.id

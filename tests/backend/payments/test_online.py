"""Online payment against localstripe: the intent is priced from the chosen lines, a card saved with a
SetupIntent confirms it server-side, declines leave the bills payable, and the ledger gets the money once."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from backend.billing.models import LedgerEntry, Payment
from backend.errors import ApplicationError
from backend.payments.models import OnlinePayment, Receipt
from backend.payments.online import card_setup_start, online_payment_confirm, online_payment_start
from backend.payments.providers import GatewayUnavailable

from .conftest import Home, owed, stripe_answer_lost

pytestmark = pytest.mark.usefixtures("localstripe")

VISA = "4242424242424242"
DECLINED_ON_CHARGE = "4000000000000341"
THREE_D_SECURE = "4000002760003184"


def saved_card(base: str, user: Any, number: str = VISA) -> str:
    """What Stripe.js confirmCardSetup does in the browser: confirm a SetupIntent with the card's details."""
    seti, secret = card_setup_start(user=user)
    r = requests.post(
        f"{base}/v1/setup_intents/{seti}/confirm",
        json={
            "key": "pk_test_localstripe",
            "client_secret": secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"},
            },
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()["payment_method"]


def test_paying_two_lines_by_card_settles_them_and_numbers_a_receipt(home: Home, localstripe: str) -> None:
    lines = home.jan[:2]
    expected = sum(owed(line) for line in lines)
    op, created = online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk for line in lines])
    assert created and op.amount == expected and op.intent_id.startswith("pi_")
    op = online_payment_confirm(op, payment_method=saved_card(localstripe, home.user))
    assert op.status == "succeeded"
    assert [owed(line) for line in lines] == [0, 0]
    payment = Payment.objects.get(pk=op.payment_id)
    assert (payment.amount, payment.channel, payment.method, payment.reference) == (
        expected,
        "online",
        "card",
        op.intent_id,
    )
    assert Receipt.objects.get(payment=payment).number.startswith("SF")


def test_a_declined_card_leaves_the_lines_unpaid_and_payable_again(home: Home, localstripe: str) -> None:
    line = home.jan[0]
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk])
    op = online_payment_confirm(op, payment_method=saved_card(localstripe, home.user, DECLINED_ON_CHARGE))
    assert op.status == "failed" and "declined" in op.failure_message
    assert owed(line) == line.amount
    assert not LedgerEntry.objects.filter(unit=home.unit, kind__in=["payment", "prepayment"]).exists()
    with pytest.raises(ApplicationError) as err:
        online_payment_confirm(op, payment_method=saved_card(localstripe, home.user))
    assert err.value.code == "attempt_failed"
    retry, created = online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk])
    assert created and retry.intent_id != op.intent_id
    retry = online_payment_confirm(retry, payment_method=saved_card(localstripe, home.user))
    assert retry.status == "succeeded" and owed(line) == 0


def test_three_d_secure_hands_back_the_client_secret(home: Home, localstripe: str) -> None:
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    op = online_payment_confirm(op, payment_method=saved_card(localstripe, home.user, THREE_D_SECURE))
    assert op.status == "requires_action" and op.client_secret.startswith(op.intent_id)
    assert op.payment_id is None


def test_the_same_idempotency_key_gives_one_intent(home: Home) -> None:
    ids = [home.jan[0].pk]
    first, created = online_payment_start(user=home.user, unit=home.unit, line_ids=ids, idempotency_key="k-1")
    again, created_again = online_payment_start(user=home.user, unit=home.unit, line_ids=ids, idempotency_key="k-1")
    assert created and not created_again and again.pk == first.pk and again.intent_id == first.intent_id
    with pytest.raises(ApplicationError) as err:
        online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[1].pk], idempotency_key="k-1")
    assert err.value.status == 409


def test_gateway_down_is_a_clear_error_charges_nothing_and_the_same_key_works_later(
    home: Home, settings: Any, localstripe: str
) -> None:
    line = home.jan[0]
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(GatewayUnavailable) as err:
        online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk], idempotency_key="down")
    assert err.value.status == 503 and "Nothing was charged" in err.value.message
    # The attempt written before Stripe was asked is failed, has no intent and gave its key back.
    attempt = OnlinePayment.objects.get()
    assert (attempt.status, attempt.failure_code, attempt.intent_id, attempt.idempotency_key) == (
        "failed",
        "gateway_unavailable",
        None,
        None,
    )
    assert owed(line) == line.amount and not Payment.objects.exists()
    settings.STRIPE_API_BASE = localstripe
    again, created = online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk], idempotency_key="down")
    assert created and again.pk != attempt.pk and str(again.intent_id).startswith("pi_")
    assert online_payment_confirm(again, payment_method=saved_card(localstripe, home.user)).status == "succeeded"
    assert owed(line) == 0


def test_someone_elses_saved_card_is_refused(home: Home, localstripe: str, member: Any, tenant_a: Any) -> None:
    from backend.payments.online import stripe_customer_for
    from backend.payments.providers import stripe_provider

    neighbour = member(tenant_a, ["resident"])
    gateway = stripe_provider()
    their_customer = stripe_customer_for(neighbour, gateway)
    their_card = saved_card(localstripe, neighbour)
    gateway.client.v1.payment_methods.attach(their_card, params={"customer": their_customer})
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    with pytest.raises(ApplicationError) as err:
        online_payment_confirm(op, payment_method=their_card)
    assert "payment_method" in err.value.fields
    assert owed(home.jan[0]) == home.jan[0].amount
    assert OnlinePayment.objects.get(pk=op.pk).status == "created"


def test_the_periodic_recheck_posts_a_payment_whose_webhook_never_came(home: Home, localstripe: str) -> None:
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from backend.payments.providers import stripe_provider
    from backend.payments.tasks import online_payments_recheck_here

    stale, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    fresh, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[1].pk])
    gateway = stripe_provider()
    for op in (stale, fresh):
        # The browser confirmed at Stripe, then the tab closed and no webhook came: only Stripe knows it is paid.
        gateway.intent_confirm(op.intent_id, payment_method=saved_card(localstripe, home.user))
    long_ago = timezone.now() - dt.timedelta(minutes=45)
    OnlinePayment.objects.filter(pk=stale.pk).update(confirmed_at=long_ago)
    OnlinePayment.objects.filter(pk=fresh.pk).update(confirmed_at=timezone.now())
    assert owed(home.jan[0]) == home.jan[0].amount

    assert online_payments_recheck_here() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == "succeeded" and stale.checked_at is not None and owed(home.jan[0]) == 0
    assert fresh.status == "created" and owed(home.jan[1]) == home.jan[1].amount  # not due for a re-check yet
    assert online_payments_recheck_here() == 0  # nothing open is due any more
    assert settings.CELERY_BEAT_SCHEDULE["payments-recheck"]["task"] == "backend.payments.tasks.online_payments_recheck"


def test_a_start_whose_answer_from_stripe_was_lost_leaves_the_lines_payable_and_its_late_webhook_posts_once(
    home: Home, localstripe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stripe made the intent, then the connection timed out: the attempt is failed (nothing charged, the lines
    payable). Should that intent be paid after all, its webhook still finds the attempt and posts it once."""
    from types import SimpleNamespace

    from backend.billing.selectors import unit_account

    from .test_webhooks import deliver, event_payload, pay_at_stripe

    line = home.jan[0]
    made = stripe_answer_lost(monkeypatch, "intent_create")
    with pytest.raises(GatewayUnavailable):
        online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk], idempotency_key="lost")
    lost = OnlinePayment.objects.get()
    assert (lost.status, lost.intent_id, lost.idempotency_key) == ("failed", None, None)
    assert owed(line) == line.amount
    # The resident pays the line again, with the same key (it was given back): it goes through.
    retry, created = online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk], idempotency_key="lost")
    assert created and online_payment_confirm(retry, payment_method=saved_card(localstripe, home.user)).status == (
        "succeeded"
    )
    assert owed(line) == 0
    # The lost intent gets paid at Stripe anyway: its webhook is matched by the attempt's pk in the metadata.
    (intent_id,) = made
    paid = pay_at_stripe(localstripe, SimpleNamespace(intent_id=intent_id), saved_card(localstripe, home.user))
    payload = event_payload("payment_intent.succeeded", paid)
    assert deliver(payload).status == "processed"
    assert deliver(event_payload("payment_intent.succeeded", paid)).status == "processed"
    lost.refresh_from_db()
    assert (lost.status, lost.intent_id) == ("succeeded", intent_id)
    assert Payment.objects.filter(reference=intent_id).count() == 1
    assert unit_account(home.unit.pk).prepaid == line.amount  # the line was paid already: money kept as credit


def test_a_repeated_key_whose_first_request_died_before_stripe_answered_gets_its_intent(
    home: Home, monkeypatch: pytest.MonkeyPatch, settings: Any, localstripe: str
) -> None:
    from backend.payments import online

    monkeypatch.setattr(online, "INTENT_WAIT", 0.2)
    line = home.jan[0]
    # What a request that died between writing its attempt and hearing from Stripe leaves behind.
    orphan = OnlinePayment.objects.create(
        unit=home.unit, user=home.user, amount=owed(line), line_ids=[line.pk], idempotency_key=f"{home.user.pk}:dead"
    )
    # While Stripe is down the repeated request reports it, and leaves the attempt to whoever wrote it.
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(GatewayUnavailable):
        online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk], idempotency_key="dead")
    orphan.refresh_from_db()
    assert (orphan.status, orphan.idempotency_key) == ("created", f"{home.user.pk}:dead")
    settings.STRIPE_API_BASE = localstripe
    op, created = online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk], idempotency_key="dead")
    assert not created and op.pk == orphan.pk and str(op.intent_id).startswith("pi_")
    assert op.client_secret.startswith(str(op.intent_id))
    assert OnlinePayment.objects.count() == 1


def test_a_card_the_gateway_does_not_know_is_a_field_error_not_a_gateway_error(home: Home) -> None:
    """A made-up or mistyped payment method id: Stripe answers 404, which is the client's mistake (400 on
    payment_method), not the gateway refusing (502). Nothing is charged or changed."""
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    with pytest.raises(ApplicationError) as err:
        online_payment_confirm(op, payment_method="pm_made_up")
    assert err.value.status == 400 and "payment_method" in err.value.fields
    response = home.client.post(
        f"/api/v1/payments/online/{op.pk}/confirm/", {"payment_method": "pm_made_up"}, content_type="application/json"
    )
    assert response.status_code == 400 and "payment_method" in response.json()["error"]["fields"]
    assert OnlinePayment.objects.get(pk=op.pk).status == "created"
    assert owed(home.jan[0]) == home.jan[0].amount

"""The platform's Stripe webhook: signed events are stored once and posted to the ledger exactly once,
whatever the order, the duplicates and who (browser or webhook) learns of the payment first. Intents are real
(localstripe); events are signed posts built from them, plus one delivered by localstripe itself and one
processed by a real Celery worker."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.test import Client

from backend.billing.models import Payment
from backend.gateway.models import WebhookEvent
from backend.gateway.webhooks import webhook_event_process_now
from backend.notifications.models import Notification
from backend.payments.models import OnlinePayment
from backend.payments.online import online_payment_confirm, online_payment_refresh, online_payment_start
from backend.payments.providers import stripe_provider
from tenants.db import connection
from tests.conftest import LOCALSTRIPE_WEBHOOK_SECRET, stripe_signature

from .conftest import Home, owed
from .test_online import VISA, saved_card

pytestmark = pytest.mark.usefixtures("localstripe")

URL = "/api/v1/payments/stripe/webhook/"


# --- helpers shared by the refund and race tests -------------------------------------------------------------


def event_payload(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    """A Stripe event as Stripe sends it (https://docs.stripe.com/api/events/object)."""
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()


def post_event(payload: bytes, secret: str = LOCALSTRIPE_WEBHOOK_SECRET, **headers: str) -> Any:
    """POST to the platform host, as Stripe does. Leaves the connection in the tenant it was in."""
    tenant = getattr(connection, "tenant", None)
    extra: dict[str, Any] = {"HTTP_STRIPE_SIGNATURE": stripe_signature(payload, secret)} if secret else {}
    extra.update(headers)
    try:
        return Client(HTTP_HOST="localhost").post(URL, data=payload, content_type="application/json", **extra)
    finally:
        if tenant is not None and tenant.schema_name != "public":
            connection.set_tenant(tenant)


def deliver(payload: bytes) -> WebhookEvent:
    """Post a signed event and process it the way the task does after commit."""
    response = post_event(payload)
    assert response.status_code == 200, response.content
    assert response.json() == {"received": True}
    event = WebhookEvent.objects.get(event_id=json.loads(payload)["id"])
    return process_as_the_task(event.pk)


def process_as_the_task(event_pk: int) -> WebhookEvent:
    """webhook_event_process_now from the public schema, where the platform's task starts."""
    tenant = connection.tenant
    connection.set_schema_to_public()
    try:
        return webhook_event_process_now(event_pk)
    finally:
        connection.set_tenant(tenant)


def store_event(payload: bytes, *, object_id: str, **fields: Any) -> WebhookEvent:
    """Store an event for the current company as the endpoint does (in the public schema), unprocessed. Leaves
    the connection in the company."""
    tenant = connection.tenant
    data = json.loads(payload)
    connection.set_schema_to_public()
    try:
        return WebhookEvent.objects.create(
            event_id=data["id"],
            type=data["type"],
            tenant_schema=tenant.schema_name,
            object_id=object_id,
            payload=data,
            **fields,
        )
    finally:
        connection.set_tenant(tenant)


def intent_dict(intent_id: str) -> dict[str, Any]:
    """The intent as Stripe reports it now (what an event's data.object holds)."""
    return stripe_provider().client.v1.payment_intents.retrieve(intent_id).to_dict()


def pay_at_stripe(base: str, op: OnlinePayment, payment_method: str) -> dict[str, Any]:
    """What the browser does with Stripe.js (confirmCardPayment): the intent is paid at Stripe, and our server
    has not heard of it yet. Returns the intent afterwards."""
    auth = {"Authorization": "Bearer sk_test_localstripe"}
    r = requests.post(
        f"{base}/v1/payment_intents/{op.intent_id}", data={"payment_method": payment_method}, headers=auth, timeout=10
    )
    assert r.status_code == 200, r.text
    requests.post(f"{base}/v1/payment_intents/{op.intent_id}/confirm", headers=auth, timeout=10)
    return intent_dict(str(op.intent_id))


def ledger_payments(op: OnlinePayment) -> list[Payment]:
    return list(Payment.objects.filter(reference=op.intent_id))


# --- signatures ------------------------------------------------------------------------------------------------


def test_an_unsigned_post_is_refused_and_stores_nothing(home: Home) -> None:
    payload = event_payload("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    response = post_event(payload, secret="")
    assert response.status_code == 400 and response.json()["code"] == "unsigned"
    assert not WebhookEvent.objects.filter(event_id=json.loads(payload)["id"]).exists()


def test_a_post_signed_with_another_secret_is_refused_and_stores_nothing(home: Home) -> None:
    payload = event_payload("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    response = post_event(payload, secret="whsec_someone_else")
    assert response.status_code == 400 and response.json()["code"] == "bad_signature"
    tampered = post_event(payload.replace(b"pi_x", b"pi_y"), HTTP_STRIPE_SIGNATURE=stripe_signature(payload))
    assert tampered.status_code == 400
    stale = post_event(
        payload, HTTP_STRIPE_SIGNATURE=stripe_signature(payload, timestamp=int(time.time()) - 3600)
    )  # a replay an hour later
    assert stale.status_code == 400
    assert not WebhookEvent.objects.filter(event_id=json.loads(payload)["id"]).exists()


def test_an_event_signed_by_a_companys_own_account_cannot_speak_for_another_company(home: Home, tenant_b: Any) -> None:
    """Beta's own Stripe account (its own signing secret) must not post payments into alpha."""
    from backend.gateway.models import StripeAccount

    StripeAccount.objects.create(tenant=tenant_b, secret_key="sk_beta", webhook_secret="whsec_beta")
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    obj = {**intent_dict(str(op.intent_id)), "status": "succeeded", "amount_received": op.amount}
    payload = event_payload("payment_intent.succeeded", obj)
    response = post_event(payload, secret="whsec_beta")
    assert response.status_code == 400
    assert not WebhookEvent.objects.filter(event_id=json.loads(payload)["id"]).exists()
    assert ledger_payments(op) == [] and owed(home.jan[0]) == home.jan[0].amount
    # Beta's secret is good for beta's own events.
    own = event_payload("payment_intent.succeeded", {**obj, "metadata": {"tenant": tenant_b.schema_name}})
    assert post_event(own, secret="whsec_beta").status_code == 200


# --- exactly once ---------------------------------------------------------------------------------------------


def test_the_webhook_before_the_browser_returns_pays_once(home: Home, localstripe: str) -> None:
    line = home.jan[0]
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[line.pk])
    intent = pay_at_stripe(localstripe, op, saved_card(localstripe, home.user))
    assert intent["status"] == "succeeded" and intent["metadata"]["online_payment"] == str(op.pk)

    event = deliver(event_payload("payment_intent.succeeded", intent))
    assert event.status == "processed" and event.tenant_schema == "alpha" and event.object_id == op.intent_id
    op.refresh_from_db()
    assert op.status == "succeeded" and op.webhook_at is not None and owed(line) == 0
    # The browser comes back: its refresh and a late confirm find it paid and add nothing.
    assert online_payment_refresh(op).status == "succeeded"
    assert online_payment_confirm(op, payment_method="pm_whatever").payment_id == op.payment_id
    assert [p.amount for p in ledger_payments(op)] == [op.amount]


def test_the_webhook_after_the_browser_adds_nothing(home: Home, localstripe: str) -> None:
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    op = online_payment_confirm(op, payment_method=saved_card(localstripe, home.user))
    assert op.status == "succeeded"
    event = deliver(event_payload("payment_intent.succeeded", intent_dict(str(op.intent_id))))
    assert event.status == "processed"
    assert [p.pk for p in ledger_payments(op)] == [op.payment_id]


def test_the_same_event_twice_is_stored_and_posted_once(home: Home, localstripe: str) -> None:
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    intent = pay_at_stripe(localstripe, op, saved_card(localstripe, home.user))
    payload = event_payload("payment_intent.succeeded", intent)
    first = deliver(payload)
    again = post_event(payload)
    assert again.status_code == 200 and again.json() == {"received": True, "duplicate": True}
    assert WebhookEvent.objects.filter(event_id=first.event_id).count() == 1
    # Processing the stored event again (a redelivered task) does nothing either.
    assert process_as_the_task(first.pk).status == "processed"
    assert len(ledger_payments(op)) == 1
    assert WebhookEvent.objects.get(pk=first.pk).attempts == 1


def test_two_different_succeeded_events_for_one_intent_post_once(home: Home, localstripe: str) -> None:
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    intent = pay_at_stripe(localstripe, op, saved_card(localstripe, home.user))
    one = deliver(event_payload("payment_intent.succeeded", intent))
    two = deliver(event_payload("payment_intent.succeeded", intent))
    assert one.event_id != two.event_id and (one.status, two.status) == ("processed", "processed")
    assert len(ledger_payments(op)) == 1


def _failed_then_paid(base: str, home: Home) -> tuple[OnlinePayment, dict[str, Any], dict[str, Any]]:
    """One intent whose first card was declined and whose second went through (Stripe.js lets the payer try
    again on the same intent): the snapshots of both moments, as the payment_failed and succeeded events
    carry them. localstripe cannot re-confirm a declined intent, so the declined snapshot is the paid intent
    as it stood before, in Stripe's documented shape (status requires_payment_method, last_payment_error)."""
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    paid = pay_at_stripe(base, op, saved_card(base, home.user, VISA))
    assert paid["status"] == "succeeded"
    failed = {
        **paid,
        "status": "requires_payment_method",
        "amount_received": 0,
        "latest_charge": None,
        "last_payment_error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        },
    }
    return op, failed, paid


def test_payment_failed_arriving_after_succeeded_leaves_it_paid(home: Home, localstripe: str) -> None:
    op, failed, paid = _failed_then_paid(localstripe, home)
    deliver(event_payload("payment_intent.succeeded", paid))
    late = deliver(event_payload("payment_intent.payment_failed", failed))
    assert late.status == "processed"
    op.refresh_from_db()
    assert op.status == "succeeded" and op.failure_code == "" and owed(home.jan[0]) == 0
    assert len(ledger_payments(op)) == 1


def test_payment_failed_then_succeeded_ends_paid(home: Home, localstripe: str) -> None:
    op, failed, paid = _failed_then_paid(localstripe, home)
    deliver(event_payload("payment_intent.payment_failed", failed))
    op.refresh_from_db()
    assert op.status == "failed" and op.payment_id is None and owed(home.jan[0]) == home.jan[0].amount
    deliver(event_payload("payment_intent.succeeded", paid))
    op.refresh_from_db()
    assert op.status == "succeeded" and owed(home.jan[0]) == 0 and len(ledger_payments(op)) == 1


# --- flagged and failed ---------------------------------------------------------------------------------------


def test_an_event_for_an_unknown_company_is_stored_and_flagged(home: Home, localstripe: str) -> None:
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    intent = pay_at_stripe(localstripe, op, saved_card(localstripe, home.user))
    intent["metadata"] = {**intent["metadata"], "tenant": "no_such_company"}
    event = deliver(event_payload("payment_intent.succeeded", intent))
    assert (event.status, event.tenant_schema) == ("flagged", "no_such_company")
    assert "unknown company" in event.note
    assert ledger_payments(op) == []
    # And one without any company at all (an intent someone made by hand in the dashboard).
    bare = deliver(event_payload("payment_intent.succeeded", {**intent, "metadata": {}}))
    assert (bare.status, bare.tenant_schema) == ("flagged", "")


def test_an_event_for_an_unknown_intent_in_a_known_company_is_flagged(home: Home, localstripe: str) -> None:
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    intent = pay_at_stripe(localstripe, op, saved_card(localstripe, home.user))
    stranger = {**intent, "id": "pi_nobody_made_this", "metadata": {"tenant": "alpha"}}
    event = deliver(event_payload("payment_intent.succeeded", stranger))
    assert event.status == "flagged" and "pi_nobody_made_this" in event.note
    # A forged online_payment reference cannot claim a payment that already has its own intent.
    forged = {**stranger, "metadata": {"tenant": "alpha", "online_payment": str(op.pk)}}
    assert deliver(event_payload("payment_intent.succeeded", forged)).status == "flagged"
    op.refresh_from_db()
    assert op.payment_id is None and ledger_payments(op) == []


def test_an_event_of_a_type_we_do_not_act_on_is_ignored(home: Home) -> None:
    event = deliver(
        event_payload("customer.created", {"id": "cus_1", "object": "customer", "metadata": {"tenant": "alpha"}})
    )
    assert event.status == "ignored"


def test_a_handler_error_marks_the_event_failed_and_tells_finance(
    home: Home, localstripe: str, settings: Any, member: Any, tenant_a: Any
) -> None:
    finance = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    op = online_payment_confirm(op, payment_method=saved_card(localstripe, home.user))
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": op.intent_id,
        "metadata": dict(intent_dict(str(op.intent_id))["metadata"]),
        "refunded": True,
    }
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # Stripe unreachable: the refunds cannot be listed
    event = deliver(event_payload("charge.refunded", charge))
    assert event.status == "failed" and "GatewayUnavailable" in event.note
    assert Notification.objects.filter(kind="payment.webhook_failed", recipient=finance).exists()
    # Kept for a retry: once Stripe answers again the same stored event goes through.
    settings.STRIPE_API_BASE = localstripe
    assert process_as_the_task(event.pk).status == "processed"
    assert WebhookEvent.objects.get(pk=event.pk).attempts == 2


def test_the_periodic_retry_processes_this_companys_failed_events(
    home: Home, localstripe: str, settings: Any, tenant_a: Any
) -> None:
    from backend.payments.tasks import MAX_WEBHOOK_ATTEMPTS, webhook_events_retry_here

    connection.set_tenant(tenant_a)
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    op = online_payment_confirm(op, payment_method=saved_card(localstripe, home.user))
    charge = {
        "id": "ch_2",
        "object": "charge",
        "payment_intent": op.intent_id,
        "metadata": dict(intent_dict(str(op.intent_id))["metadata"]),
        "refunded": True,
    }
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    failed = deliver(event_payload("charge.refunded", charge))
    exhausted = deliver(event_payload("charge.refunded", charge))
    WebhookEvent.objects.filter(pk=exhausted.pk).update(attempts=MAX_WEBHOOK_ATTEMPTS)
    assert failed.status == exhausted.status == "failed"
    connection.set_tenant(tenant_a)
    assert webhook_events_retry_here() == 0  # Stripe still down: they stay failed, to be tried again
    settings.STRIPE_API_BASE = localstripe
    connection.set_tenant(tenant_a)
    assert webhook_events_retry_here() == 1
    assert WebhookEvent.objects.get(pk=failed.pk).status == "processed"
    assert WebhookEvent.objects.get(pk=exhausted.pk).status == "failed"  # given up after the last attempt
    assert connection.schema_name == "alpha"  # the task leaves the company as it found it


# --- real deliveries ------------------------------------------------------------------------------------------


@pytest.fixture
def committed_events(django_db_blocker: Any) -> Iterator[None]:
    """Events the live server commits while the test's hook is registered (its own, and any localstripe was
    about to send for an earlier test's intent) are removed after the test's transaction is rolled back (it
    holds their row locks until then). Request it before `home`, so it is torn down after it."""
    with django_db_blocker.unblock():
        before = set(WebhookEvent.objects.values_list("pk", flat=True))
    yield
    with django_db_blocker.unblock():
        WebhookEvent.objects.exclude(pk__in=before).delete()


def test_localstripe_delivers_a_signed_event_that_is_stored_and_posts_once(
    committed_events: None, localstripe: str, live_asgi: str, home: Home
) -> None:
    hook = f"hook-{uuid.uuid4().hex[:6]}"
    r = requests.post(
        f"{localstripe}/_config/webhooks/{hook}",
        json={
            "url": f"http://localhost{live_asgi}{URL}",
            "secret": LOCALSTRIPE_WEBHOOK_SECRET,
            "events": ["payment_intent.succeeded"],
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text
    stored: list[WebhookEvent] = []
    try:
        op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
        pay_at_stripe(localstripe, op, saved_card(localstripe, home.user))
        deadline = time.monotonic() + 30
        while not stored and time.monotonic() < deadline:
            stored = list(WebhookEvent.objects.filter(object_id=op.intent_id))
            time.sleep(0.2)
        assert [(e.type, e.tenant_schema, e.status) for e in stored] == [
            ("payment_intent.succeeded", "alpha", "received")
        ]
        assert process_as_the_task(stored[0].pk).status == "processed"
        op.refresh_from_db()
        assert op.status == "succeeded" and owed(home.jan[0]) == 0 and len(ledger_payments(op)) == 1
    finally:
        # Later intents of this session must not be delivered to the server any more.
        requests.post(
            f"{localstripe}/_config/webhooks/{hook}",
            json={"url": "http://127.0.0.1:9/", "secret": LOCALSTRIPE_WEBHOOK_SECRET, "events": ["none.ever"]},
            timeout=10,
        )


def test_a_real_worker_processes_a_committed_event(
    django_db_setup: None, django_db_blocker: Any, localstripe: str, worker: str
) -> None:
    """The task itself, in a Celery worker process: it switches into the company and posts the payment."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    from backend.celery import app
    from backend.gateway.tasks import webhook_event_process

    from .test_races import committed_line

    deadline = time.monotonic() + 120
    while True:  # the worker may not have declared its queue yet: a message sent before that is lost
        try:
            app.send_task("celery.accumulate", args=(1,), queue=worker).get(timeout=5)
            break
        except CeleryTimeout:
            assert time.monotonic() < deadline, "the worker never answered"
    with django_db_blocker.unblock(), committed_line() as w:
        op, _ = online_payment_start(user=w.user, unit=w.unit, line_ids=[w.line.pk])
        payload = event_payload(
            "payment_intent.succeeded", pay_at_stripe(localstripe, op, saved_card(localstripe, w.user))
        )
        event = store_event(payload, object_id=str(op.intent_id))
        assert webhook_event_process.apply_async((event.pk,), queue=worker).get(timeout=60) == "processed"
        op.refresh_from_db()
        assert op.status == "succeeded" and owed(w.line) == 0
        assert Payment.objects.filter(reference=op.intent_id).count() == 1
        event.refresh_from_db()
        assert event.status == "processed" and event.attempts == 1 and event.processed_at is not None
        # What the task did after commit, in the company: the payer heard of it.
        assert Notification.objects.filter(recipient=w.user, kind="payment.succeeded", payload__online_payment=op.pk)

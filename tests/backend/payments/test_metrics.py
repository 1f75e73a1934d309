"""Payment and webhook outcomes reach the Prometheus counters (backend/observability/metrics.py) once, and
only once the outcome is committed: wuye_payments_total{kind, outcome}, wuye_webhook_events_total{type, outcome}."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prometheus_client import REGISTRY

from backend.gateway.models import WebhookEvent
from backend.payments.online import online_payment_confirm, online_payment_start

from .conftest import Home
from .test_online import DECLINED_ON_CHARGE, VISA, saved_card
from .test_webhooks import deliver, event_payload, pay_at_stripe, post_event, process_as_the_task

pytestmark = pytest.mark.usefixtures("localstripe")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_declined_then_a_paid_attempt_count_one_failure_and_one_success(
    home: Home, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    ok = sample("wuye_payments_total", kind="online", outcome="succeeded")
    failed = sample("wuye_payments_total", kind="online", outcome="failed")
    with django_capture_on_commit_callbacks(execute=True):
        op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
        assert (
            online_payment_confirm(op, payment_method=saved_card(localstripe, home.user, DECLINED_ON_CHARGE)).status
            == "failed"
        )
    assert sample("wuye_payments_total", kind="online", outcome="failed") == failed + 1
    assert sample("wuye_payments_total", kind="online", outcome="succeeded") == ok
    with django_capture_on_commit_callbacks(execute=True):
        op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[1].pk])
        assert online_payment_confirm(op, payment_method=saved_card(localstripe, home.user, VISA)).status == "succeeded"
    assert sample("wuye_payments_total", kind="online", outcome="succeeded") == ok + 1


def test_a_payment_not_committed_is_not_counted(
    home: Home, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    ok = sample("wuye_payments_total", kind="online", outcome="succeeded")
    with django_capture_on_commit_callbacks(execute=False):  # the transaction never commits
        op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
        online_payment_confirm(op, payment_method=saved_card(localstripe, home.user, VISA))
    assert sample("wuye_payments_total", kind="online", outcome="succeeded") == ok


def test_a_webhook_event_is_counted_once_by_type_and_outcome(home: Home, localstripe: str) -> None:
    op, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=[home.jan[0].pk])
    intent = pay_at_stripe(localstripe, op, saved_card(localstripe, home.user))
    before = sample("wuye_webhook_events_total", type="payment_intent.succeeded", outcome="processed")
    payload = event_payload("payment_intent.succeeded", intent)
    assert deliver(payload).status == "processed"
    assert sample("wuye_webhook_events_total", type="payment_intent.succeeded", outcome="processed") == before + 1
    # Redelivered by Stripe: stored once, already done, not handled or counted again.
    assert post_event(payload).json() == {"received": True, "duplicate": True}
    process_as_the_task(WebhookEvent.objects.get(event_id=json.loads(payload)["id"]).pk)
    assert sample("wuye_webhook_events_total", type="payment_intent.succeeded", outcome="processed") == before + 1

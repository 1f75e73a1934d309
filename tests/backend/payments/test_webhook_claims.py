"""A stored webhook event is claimed with one conditional update before it is handled: two workers given one
event (a redelivered task, the retry task, finance's retry button) handle it once; a claim left by a worker
that died is taken over after the timeout, a live one never; only the claimer writes the outcome; the retry
task also picks up events whose task never ran."""

from __future__ import annotations

import datetime as dt
import threading
import time
from functools import partial
from typing import Any

import pytest
from django.utils import timezone

from backend.billing.models import Payment
from backend.gateway.models import WebhookEvent
from backend.gateway.webhooks import CLAIM_TIMEOUT, webhook_event_process_now
from backend.payments import events
from backend.payments.online import online_payment_start
from backend.payments.tasks import webhook_events_retry_here
from tenants.db import connection

from .conftest import Home, owed
from .test_online import saved_card
from .test_races import committed_line, run_together
from .test_webhooks import event_payload, pay_at_stripe, store_event

pytestmark = pytest.mark.usefixtures("localstripe")


def stored_succeeded_event(base: str, user: Any, unit: Any, **fields: Any) -> tuple[Any, WebhookEvent]:
    """A paid intent and its payment_intent.succeeded event, stored as the endpoint stores it (public schema)."""
    op, _ = online_payment_start(user=user, unit=unit, top_up=700)
    intent = pay_at_stripe(base, op, saved_card(base, user))
    return op, store_event(event_payload("payment_intent.succeeded", intent), object_id=intent["id"], **fields)


def counting_handler(monkeypatch: pytest.MonkeyPatch, *, hold: float = 0.0, during: Any = None) -> list[str]:
    """Wrap the event handler: record each call (thread-safe), hold it a while, run `during` inside it."""
    calls: list[str] = []
    lock = threading.Lock()
    real = events.handle

    def handle(event_type: str, obj: dict[str, Any]) -> str:
        with lock:
            calls.append(event_type)
        time.sleep(hold)
        if during is not None:
            during()
        return real(event_type, obj)

    monkeypatch.setattr(events, "handle", handle)
    return calls


def test_two_workers_claiming_one_event_process_it_once(
    django_db_setup: None, django_db_blocker: Any, localstripe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with django_db_blocker.unblock(), committed_line() as w:
        op, event = stored_succeeded_event(localstripe, w.user, w.unit)
        calls = counting_handler(monkeypatch, hold=1.0)  # the winner is still handling when the other looks
        results = run_together(w.tenant, *[partial(webhook_event_process_now, event.pk) for _ in range(2)])
        assert calls == ["payment_intent.succeeded"]
        assert sorted(getattr(r, "status", r) for r in results) == ["processed", "processing"], results
        connection.set_schema_to_public()
        event.refresh_from_db()
        assert (event.status, event.attempts) == ("processed", 1)
        assert event.claimed_at is not None and event.processed_at is not None
        assert event.processed_at >= event.claimed_at
        connection.set_tenant(w.tenant)
        assert Payment.objects.filter(reference=op.intent_id).count() == 1
        # A third delivery of the task afterwards finds it done and handles nothing.
        assert webhook_event_process_now(event.pk).status == "processed"
        assert calls == ["payment_intent.succeeded"]


def test_a_claim_left_by_a_dead_worker_is_taken_over_by_the_retry_task_and_a_live_one_is_not(
    home: Home, localstripe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_ago = timezone.now() - CLAIM_TIMEOUT - dt.timedelta(seconds=5)
    dead_op, dead = stored_succeeded_event(
        localstripe, home.user, home.unit, status="processing", attempts=1, claimed_at=long_ago
    )
    live_op, live = stored_succeeded_event(
        localstripe, home.user, home.unit, status="processing", attempts=1, claimed_at=timezone.now()
    )
    calls = counting_handler(monkeypatch)
    assert webhook_event_process_now(live.pk).status == "processing"  # someone is on it: hands off
    assert calls == []
    assert webhook_events_retry_here() == 1
    assert calls == ["payment_intent.succeeded"]
    dead.refresh_from_db()
    live.refresh_from_db()
    assert (dead.status, dead.attempts) == ("processed", 2) and dead.claimed_at > long_ago
    assert (live.status, live.attempts) == ("processing", 1)
    dead_op.refresh_from_db()
    live_op.refresh_from_db()
    assert dead_op.status == "succeeded" and live_op.payment_id is None
    assert connection.schema_name == "alpha"  # the task leaves the company as it found it


def test_only_the_claimer_writes_the_outcome(home: Home, localstripe: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker so slow that its claim went stale and was taken over does not overwrite the new claim's state."""
    _, event = stored_succeeded_event(localstripe, home.user, home.unit)
    newer = timezone.now() + dt.timedelta(seconds=1)

    def taken_over() -> None:
        WebhookEvent.objects.filter(pk=event.pk).update(claimed_at=newer, attempts=2)

    counting_handler(monkeypatch, during=taken_over)
    webhook_event_process_now(event.pk)
    event.refresh_from_db()
    assert (event.status, event.attempts, event.claimed_at, event.processed_at) == ("processing", 2, newer, None)


def test_the_retry_task_processes_an_event_whose_task_never_ran(home: Home, localstripe: str) -> None:
    """Stored and answered 200, but the broker was down at commit: still `received` after the claim timeout."""
    op, stuck = stored_succeeded_event(localstripe, home.user, home.unit)
    _, fresh = stored_succeeded_event(localstripe, home.user, home.unit)
    WebhookEvent.objects.filter(pk=stuck.pk).update(received_at=timezone.now() - CLAIM_TIMEOUT * 2)
    assert webhook_events_retry_here() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert (stuck.status, stuck.attempts) == ("processed", 1)
    assert (fresh.status, fresh.attempts) == ("received", 0)  # its task is about to run: left to it
    op.refresh_from_db()
    assert op.status == "succeeded" and Payment.objects.filter(reference=op.intent_id).count() == 1


def test_a_failed_event_is_claimed_again_by_a_retry_and_counts_its_attempts(
    home: Home, localstripe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    op, event = stored_succeeded_event(localstripe, home.user, home.unit)
    broken = {"on": True}
    real = events.handle

    def flaky(event_type: str, obj: dict[str, Any]) -> str:
        if broken["on"]:
            raise RuntimeError("the database went away")
        return real(event_type, obj)

    monkeypatch.setattr(events, "handle", flaky)
    failed = webhook_event_process_now(event.pk)
    assert (failed.status, failed.attempts) == ("failed", 1) and "RuntimeError" in failed.note
    broken["on"] = False
    done = webhook_event_process_now(event.pk)
    assert (done.status, done.attempts) == ("processed", 2)
    assert owed(home.jan[0]) == home.jan[0].amount  # a top-up: the bills are untouched
    assert Payment.objects.get(reference=op.intent_id).amount == 700

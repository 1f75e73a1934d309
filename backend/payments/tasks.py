"""Payments' Celery tasks (run in the company's schema by tenant-schemas-celery)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from backend.celery import app
from backend.gateway.models import WebhookEvent
from backend.gateway.webhooks import CLAIM_TIMEOUT, webhook_event_process_now
from tenants.db import connection

from .models import OnlinePayment, PaymentSettings, Refund
from .online import autopay_charge, online_payment_refresh
from .providers import GatewayUnavailable
from .refunds import refund_recheck

log = logging.getLogger(__name__)


@app.task(acks_late=True)
def autopay_charge_task(mandate_id: int, run_id: int) -> str:
    op = autopay_charge(mandate_id, run_id)
    return "nothing to charge" if op is None else f"{op.pk}: {op.status}"


def online_payments_recheck_here(*, older_than_minutes: int | None = None, limit: int = 200) -> int:
    """Ask Stripe about online payments still open after the follow-up time (their webhook never came)."""
    minutes = older_than_minutes if older_than_minutes is not None else PaymentSettings.load().followup_minutes
    now = timezone.now()
    due = OnlinePayment.objects.filter(
        ~Q(status__in=OnlinePayment.FINAL),
        intent_id__isnull=False,
        confirmed_at__isnull=False,
        confirmed_at__lte=now - dt.timedelta(minutes=minutes),
        confirmed_at__gte=now - dt.timedelta(days=7),
    ).order_by("confirmed_at")[:limit]
    return _recheck_each(due, online_payment_refresh, "online payment")


def _recheck_each(rows: Iterable[Any], recheck: Callable[[Any], Any], what: str) -> int:
    """Re-check the rows against Stripe one by one; stop when Stripe cannot be reached (next time, then), skip
    past one that fails otherwise. Returns how many were re-checked."""
    done = 0
    for row in rows:
        try:
            recheck(row)
            done += 1
        except GatewayUnavailable:
            log.warning("stripe unreachable while re-checking; trying again next time")
            break
        except Exception:
            log.exception("re-checking %s %s failed", what, row.pk)
    return done


@app.task
def online_payments_recheck() -> int:
    """Beat runs this in every active company: re-check online payments whose webhook never arrived."""
    return online_payments_recheck_here()


MAX_WEBHOOK_ATTEMPTS = 6


def webhook_events_retry_here() -> int:
    """Process again this company's webhook events that failed (Stripe was unreachable, a bug since fixed),
    whose worker died while processing them (a claim older than CLAIM_TIMEOUT), or whose task never ran (still
    received after CLAIM_TIMEOUT: the broker was down when they were stored). We answered Stripe 200 when we
    stored them, so Stripe will not send them again: retrying is ours. Each is claimed as usual, so a worker
    processing one of them right now keeps it."""
    tenant = connection.tenant
    stale = timezone.now() - CLAIM_TIMEOUT
    due = list(
        WebhookEvent.objects.filter(tenant_schema=connection.schema_name, attempts__lt=MAX_WEBHOOK_ATTEMPTS)
        .filter(
            Q(status=WebhookEvent.Status.FAILED)
            | Q(status=WebhookEvent.Status.PROCESSING, claimed_at__lt=stale)
            | Q(status=WebhookEvent.Status.RECEIVED, received_at__lt=stale)
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:100]
    )
    done = 0
    try:
        for pk in due:
            if webhook_event_process_now(pk).status == WebhookEvent.Status.PROCESSED:
                done += 1
    finally:
        connection.set_tenant(tenant)
    return done


@app.task
def webhook_events_retry() -> int:
    """Beat runs this in every active company, every 10 minutes."""
    return webhook_events_retry_here()


def refunds_recheck_here(*, older_than: dt.timedelta | None = None, limit: int = 200) -> int:
    """Ask Stripe about this company's refunds whose answer was never applied (`requested`: the process died or
    its database step failed after Stripe was asked), and about those marked failed because Stripe could not
    be reached (a timeout after Stripe made the refund), once each. Returns how many were looked at."""
    # Younger ones may still be waiting for Stripe's answer in the request that asked.
    wait = older_than if older_than is not None else dt.timedelta(seconds=max(120, 3 * settings.STRIPE_TIMEOUT))
    now = timezone.now()
    due = (
        Refund.objects.filter(provider="stripe", created_at__lte=now - wait, created_at__gte=now - dt.timedelta(days=7))
        .filter(
            Q(status=Refund.Status.REQUESTED)
            | Q(status=Refund.Status.FAILED, failure_code="gateway_unavailable", checked_at__isnull=True)
        )
        .select_related("payment")
        .order_by("created_at")[:limit]
    )
    return _recheck_each(due, refund_recheck, "refund")


@app.task
def refunds_recheck() -> int:
    """Beat runs this in every active company: refunds whose outcome was never recorded are asked about."""
    return refunds_recheck_here()

"""Payments' Celery tasks (run in the company's schema by tenant-schemas-celery)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Q
from django.utils import timezone

from backend.celery import app

log = logging.getLogger(__name__)


@app.task(acks_late=True)
def autopay_charge_task(mandate_id: int, run_id: int) -> str:
    from .online import autopay_charge

    op = autopay_charge(mandate_id, run_id)
    return "nothing to charge" if op is None else f"{op.pk}: {op.status}"


def online_payments_recheck_here(*, older_than_minutes: int | None = None, limit: int = 200) -> int:
    """Ask Stripe about online payments still open after the follow-up time (their webhook never came)."""
    from .models import OnlinePayment, PaymentSettings
    from .online import online_payment_refresh
    from .providers import GatewayUnavailable

    minutes = older_than_minutes if older_than_minutes is not None else PaymentSettings.load().followup_minutes
    now = timezone.now()
    due = OnlinePayment.objects.filter(
        ~Q(status__in=OnlinePayment.FINAL),
        intent_id__isnull=False,
        confirmed_at__isnull=False,
        confirmed_at__lte=now - dt.timedelta(minutes=minutes),
        confirmed_at__gte=now - dt.timedelta(days=7),
    ).order_by("confirmed_at")[:limit]
    done = 0
    for op in due:
        try:
            online_payment_refresh(op)
            done += 1
        except GatewayUnavailable:
            log.warning("stripe unreachable while re-checking; trying again next time")
            break
        except Exception:
            log.exception("re-checking online payment %s failed", op.pk)
    return done


@app.task
def online_payments_recheck() -> int:
    """Beat runs this in every active company: re-check online payments whose webhook never arrived."""
    return online_payments_recheck_here()


MAX_WEBHOOK_ATTEMPTS = 6


def webhook_events_retry_here() -> int:
    """Process again this company's webhook events that failed (Stripe was unreachable, a bug since fixed).
    We answered Stripe 200 when we stored them, so Stripe will not send them again: retrying is ours."""
    from backend.gateway.models import WebhookEvent
    from backend.gateway.webhooks import webhook_event_process_now
    from tenants.db import connection

    tenant = connection.tenant
    failed = list(
        WebhookEvent.objects.filter(
            tenant_schema=connection.schema_name,
            status=WebhookEvent.Status.FAILED,
            attempts__lt=MAX_WEBHOOK_ATTEMPTS,
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:100]
    )
    done = 0
    try:
        for pk in failed:
            if webhook_event_process_now(pk).status == WebhookEvent.Status.PROCESSED:
                done += 1
    finally:
        connection.set_tenant(tenant)
    return done


@app.task
def webhook_events_retry() -> int:
    """Beat runs this in every active company, every 10 minutes."""
    return webhook_events_retry_here()

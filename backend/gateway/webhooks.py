"""The platform's Stripe webhook: POST /api/v1/payments/stripe/webhook/.

Verify the signature (the platform's secret or a company's own), store the event once under its UNIQUE id,
answer 200, and process it after commit in a task that switches into the company's schema (named in the
PaymentIntent's metadata). A worker claims the event with one conditional UPDATE before handling it, so a
redelivered task, the retry task and finance's retry button never handle one event at the same time.
Unsigned or wrongly signed posts get 400 and store nothing; an event for an unknown company or payment is
stored and flagged, never crashed on."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from backend.celery import task_named
from backend.observability import metrics
from backend.payments import events
from backend.payments.notify import notify_webhook_failed
from tenants.db import company_time_zone
from tenants.models import Tenant

from .config import webhook_secrets
from .models import StripeAccount, WebhookEvent

log = logging.getLogger(__name__)
# Enqueued by name: the task (backend/gateway/tasks.py) calls back into this module.
WEBHOOK_EVENT_PROCESS = "backend.gateway.tasks.webhook_event_process"


def _verify(payload: bytes, header: str) -> tuple[dict[str, Any], str] | None:
    """The event and the secret that signed it, or None."""
    for secret in webhook_secrets():
        try:
            stripe.WebhookSignature.verify_header(payload.decode("utf-8"), header, secret, tolerance=300)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
            continue
        try:
            event = json.loads(payload)
        except ValueError:
            return None
        return (event, secret) if isinstance(event, dict) else None
    return None


def _signer_schemas(secret: str) -> list[str] | None:
    """The companies whose own Stripe account signs with `secret`; None for the platform's secret (its
    account serves every company)."""
    if settings.STRIPE_WEBHOOK_SECRET and secret == settings.STRIPE_WEBHOOK_SECRET:
        return None
    return list(StripeAccount.objects.filter(webhook_secret=secret).values_list("tenant__schema_name", flat=True))


def _tenant_of(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("tenant") or "")[:63]


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    header = request.headers.get("Stripe-Signature", "")
    if not header:
        return JsonResponse({"detail": "Missing Stripe-Signature header.", "code": "unsigned"}, status=400)
    verified = _verify(request.body, header)
    if verified is None or not verified[0].get("id") or not verified[0].get("type"):
        return JsonResponse({"detail": "Invalid signature or payload.", "code": "bad_signature"}, status=400)
    event, secret = verified
    obj = (event.get("data") or {}).get("object") or {}
    if not isinstance(obj, dict):
        return JsonResponse({"detail": "Invalid signature or payload.", "code": "bad_signature"}, status=400)
    tenant_schema = _tenant_of(obj)
    signers = _signer_schemas(secret)
    if signers is not None:
        # A company's own Stripe account speaks only for that company: its metadata cannot route an event
        # (and a payment) into another one. Without metadata (made in its dashboard) the event is its own.
        if not tenant_schema and len(signers) == 1:
            tenant_schema = signers[0]
        elif tenant_schema not in signers:
            log.warning("webhook event %s signed by %s names company %r", event.get("id"), signers, tenant_schema)
            return JsonResponse(
                {"detail": "This account's events cannot name that company.", "code": "wrong_account"}, status=400
            )
    if webhook_event_store(event=event, tenant_schema=tenant_schema) is None:
        return JsonResponse({"received": True, "duplicate": True})
    return JsonResponse({"received": True})


def webhook_event_store(*, event: dict[str, Any], tenant_schema: str) -> WebhookEvent | None:
    """Keep a verified event once under its UNIQUE id and have it processed after commit. None when Stripe
    sent it before (a redelivery: already stored, nothing to do)."""
    obj = (event.get("data") or {}).get("object") or {}
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                event_id=str(event["id"])[:100],
                type=str(event["type"])[:80],
                livemode=bool(event.get("livemode")),
                tenant_schema=tenant_schema,
                object_id=str(obj.get("id") or "")[:100],
                payload=event,
            )
            transaction.on_commit(lambda: task_named(WEBHOOK_EVENT_PROCESS).delay(stored.pk))
    except IntegrityError:
        return None
    return stored


CLAIMABLE = (WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED, WebhookEvent.Status.FLAGGED)
# A claim older than this is a worker's that died (handling takes seconds: a few Stripe calls of at most
# STRIPE_TIMEOUT each); the retry task or a redelivered task may take it over.
CLAIM_TIMEOUT = dt.timedelta(minutes=5)


def webhook_event_claim(event_pk: int) -> WebhookEvent | None:
    """Take the event for processing with one conditional UPDATE: received, failed or flagged (a retry), or a
    stale claim, becomes processing with one more attempt. None when another worker has it or it is done."""
    now = timezone.now()
    claimable = Q(status__in=CLAIMABLE) | Q(status=WebhookEvent.Status.PROCESSING, claimed_at__lt=now - CLAIM_TIMEOUT)
    taken = WebhookEvent.objects.filter(claimable, pk=event_pk).update(
        status=WebhookEvent.Status.PROCESSING, attempts=F("attempts") + 1, claimed_at=now
    )
    if not taken:
        return None
    return WebhookEvent.objects.get(pk=event_pk)


def webhook_event_process_now(event_pk: int) -> WebhookEvent:
    """Process one stored event (the task's body; tests call it directly). Only the worker whose claim it is
    handles it and writes the outcome; anyone else gets the event as it stands (processing, or done)."""
    event = webhook_event_claim(event_pk)
    if event is None:
        return WebhookEvent.objects.get(pk=event_pk)
    claimed_at = event.claimed_at
    tenant = Tenant.objects.filter(schema_name=event.tenant_schema).first() if event.tenant_schema else None
    if tenant is None or not tenant.is_company:
        event.status = WebhookEvent.Status.FLAGGED
        event.note = f"unknown company {event.tenant_schema!r}"[:300]
    else:
        obj = (event.payload.get("data") or {}).get("object") or {}
        try:
            # Inside the company (tenant_context, not schema_context: the company's own Stripe account and its
            # members are looked up by connection.tenant), in its time zone (receipt numbers and closed days go
            # by its local date). No transaction around it: a handler may ask Stripe, and each service it
            # calls locks and commits on its own (their notifications run on commit, still in the company).
            with tenant_context(tenant), timezone.override(company_time_zone(tenant)):
                note = events.handle(event.type, obj)
        except events.Unknown as unknown:
            event.status = WebhookEvent.Status.FLAGGED
            event.note = str(unknown)[:300]
        except Exception as exc:  # kept for a retry; finance hears of it
            log.exception("webhook event %s failed", event.event_id)
            event.status = WebhookEvent.Status.FAILED
            event.note = f"{type(exc).__name__}: {exc}"[:300]
            _notify_failure(tenant, event)
        else:
            event.status = WebhookEvent.Status.IGNORED if note == "ignored" else WebhookEvent.Status.PROCESSED
            event.note = note[:300]
    event.processed_at = timezone.now()
    written = WebhookEvent.objects.filter(
        pk=event.pk, status=WebhookEvent.Status.PROCESSING, claimed_at=claimed_at
    ).update(status=event.status, note=event.note, processed_at=event.processed_at)
    if not written:  # our claim went stale and another worker took the event over: its outcome stands
        log.warning("webhook event %s: its claim was taken over; outcome %s dropped", event.event_id, event.status)
        return WebhookEvent.objects.get(pk=event.pk)
    metrics.webhook_outcome(event.type, str(event.status))
    return event


def _notify_failure(tenant: Any, event: WebhookEvent) -> None:
    try:
        with tenant_context(tenant):
            notify_webhook_failed(event.type, event.event_id, event.note)
    except Exception:
        log.exception("could not tell finance about webhook event %s", event.event_id)

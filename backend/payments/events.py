"""Acting on stored Stripe webhook events, inside the company's schema. Every handler is idempotent and
order-tolerant: `payment_intent.succeeded` posts once however often and whenever it comes, and a late
`payment_intent.payment_failed` cannot undo a success."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from backend.billing.models import Payment

from .models import OnlinePayment
from .online import online_payment_apply
from .providers import IntentState, RefundState, stripe_provider
from .refunds import refund_sync

log = logging.getLogger(__name__)

INTENT_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.requires_action",
)
REFUND_EVENTS = ("charge.refunded", "charge.refund.updated", "refund.created", "refund.updated")


class Unknown(Exception):
    """The event names something this company does not have: flag the event, do not crash."""


def _online_for(obj: dict[str, Any]) -> OnlinePayment:
    intent_id = obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
    op = OnlinePayment.objects.filter(intent_id=intent_id).first() if intent_id else None
    if op is None:
        ref = (obj.get("metadata") or {}).get("online_payment")
        if ref and str(ref).isdigit():
            op = OnlinePayment.objects.filter(pk=int(ref), intent_id__isnull=True).first()
    if op is None:
        raise Unknown(f"no online payment for intent {intent_id}")
    return op


def handle(event_type: str, obj: dict[str, Any]) -> str:
    """Apply one event's object. Returns a note; raises Unknown for an intent we never created."""
    if event_type in INTENT_EVENTS:
        op = _online_for(obj)
        OnlinePayment.objects.filter(pk=op.pk, webhook_at__isnull=True).update(webhook_at=timezone.now())
        if op.intent_id is None:
            OnlinePayment.objects.filter(pk=op.pk).update(intent_id=obj["id"])
            op.refresh_from_db()
        after = online_payment_apply(op, IntentState.of(obj))
        return f"online payment {after.pk}: {after.status}"
    if event_type in REFUND_EVENTS:
        op = _online_for(obj)
        if op.payment_id is None:
            raise Unknown(f"refund of intent {op.intent_id}, which has no recorded payment")
        payment = Payment.objects.get(pk=op.payment_id)
        if obj.get("object") == "refund":
            states = [RefundState.of(obj)]
        else:
            # charge.refunded: list the intent's refunds (newer API versions do not embed them).
            states = stripe_provider().refunds_list(str(op.intent_id))
        recorded = [r for r in (refund_sync(payment, s) for s in states) if r is not None]
        return f"payment {payment.pk}: {len(recorded)} refund(s) in the ledger"
    return "ignored"

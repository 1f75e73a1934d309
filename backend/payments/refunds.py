"""Refunds: Stripe refunds for online payments, cash refund records for counter payments. A refund can never
exceed what was paid and not yet refunded; the ledger entry and the Refund row are written together."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing import ledger
from backend.billing.models import Payment
from backend.billing.selectors import payment_refundable
from backend.errors import ApplicationError
from tenants.db import connection

from .dayclose import refund_lock_check
from .models import Refund
from .notify import after_commit, notify_refund
from .providers import RefundState, stripe_provider

ONLINE_CHANNELS = (Payment.Channel.ONLINE, Payment.Channel.AUTOPAY)


def refund_create(*, payment: Payment, amount: int, reason: str, by: User) -> Refund:
    """Refund (part of) a payment. Online: Stripe refunds the card first, then the ledger follows in the same
    transaction (a crash between the two is repaired by the charge.refunded webhook, matched by refund id).
    Offline: a cash refund is recorded."""
    errors: dict[str, list[str]] = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = [_("Enter an amount above zero.")]
    if not reason.strip():
        errors["reason"] = [_("Give a reason for the refund.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    if hasattr(payment, "receipt") and payment.receipt.status == "voided":
        raise ApplicationError(
            _("This payment's receipt is void; nothing is left to refund."), code="voided", status=409
        )
    online = payment.channel in ONLINE_CHANNELS and payment.reference.startswith("pi_")
    with transaction.atomic():
        ledger.unit_lock(payment.unit_id)
        refund_lock_check(by)
        left = payment_refundable(payment)
        if amount > left:
            raise ApplicationError.for_fields(
                {"amount": [_("At most ¥%(max).2f can still be refunded.") % {"max": left / 100}]}
            )
        provider_refund_id = None
        if online:
            n = Refund.objects.filter(payment=payment).count() + 1
            state = stripe_provider().refund_create(
                intent_id=payment.reference,
                amount=amount,
                metadata={"tenant": connection.schema_name, "payment": str(payment.pk)},
                idempotency_key=f"{connection.schema_name}:refund:{payment.pk}:{n}:{amount}",
            )
            provider_refund_id = state.id
            if Refund.objects.filter(provider_refund_id=state.id).exists():  # the webhook was faster
                return Refund.objects.get(provider_refund_id=state.id)
        entry = ledger.refund_record(payment=payment, amount=amount, reason=reason, by=by)
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            reason=reason[:300],
            provider="stripe" if online else "offline",
            provider_refund_id=provider_refund_id,
            entry=entry,
            requested_by=by,
        )
        audit_record(
            action="payments.refund",
            target=refund,
            changes={"payment": payment.pk, "amount": amount, "provider_refund": provider_refund_id},
        )
        after_commit(lambda: notify_refund(payment, amount, reason))
    return refund


def refund_sync(payment: Payment, state: RefundState) -> Refund | None:
    """A refund Stripe reports (webhook, re-check) that the ledger does not have yet, e.g. one made in the
    Stripe dashboard: record it once, by its id. Failed refunds record nothing."""
    if state.status not in ("succeeded", "pending"):
        return None
    with transaction.atomic():
        ledger.unit_lock(payment.unit_id)
        existing = Refund.objects.filter(provider_refund_id=state.id).first()
        if existing is not None:
            return existing
        amount = min(state.amount, payment_refundable(payment))
        if amount <= 0:
            return None
        reason = _("Refunded at the payment gateway (%(id)s)") % {"id": state.id}
        entry = ledger.refund_record(payment=payment, amount=amount, reason=reason, by=None)
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            reason=reason,
            provider="stripe",
            provider_refund_id=state.id,
            status=Refund.Status.SUCCEEDED if state.status == "succeeded" else Refund.Status.PENDING,
            entry=entry,
        )
        audit_record(action="payments.refund_sync", target=refund, changes={"payment": payment.pk, "amount": amount})
        after_commit(lambda: notify_refund(payment, amount, reason))
    return refund

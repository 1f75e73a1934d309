"""Refunds: Stripe refunds for online payments, cash refund records for counter payments. A refund can never
exceed what was paid and not yet refunded, counting the refunds still waiting for Stripe's answer.

An online refund is three steps, so that no transaction is open and no lock held while Stripe is asked:
1. under the unit's lock, check what is left and write the Refund row as `requested` (it counts against
   what is left from now on, so two refunds at once cannot both pass);
2. ask Stripe, with an idempotency key of that row, outside any transaction;
3. under the unit's lock again, apply the answer: the ledger refund entry and the row's final status.
If step 3 never happens (a crash, a database error), the webhook (`refund_sync`) or the periodic re-check
(`refund_recheck`) finds Stripe's refund by its id or by the row's pk in its metadata and applies it once."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing import ledger
from backend.billing.models import Payment
from backend.billing.selectors import payment_refundable
from backend.errors import ApplicationError
from backend.observability import metrics
from tenants.db import connection

from .dayclose import refund_lock_check
from .models import Refund
from .notify import after_commit, notify_refund
from .providers import RefundState, stripe_provider

log = logging.getLogger(__name__)

ONLINE_CHANNELS = (Payment.Channel.ONLINE, Payment.Channel.AUTOPAY)
MADE = ("succeeded", "pending")  # Stripe's refund statuses under which the money is (being) given back


def refund_in_flight(payment: Payment, *, excluding: int | None = None) -> int:
    """Fen of the payment's refunds sent to Stripe whose answer is not applied yet."""
    requested = Refund.objects.filter(payment=payment, status=Refund.Status.REQUESTED)
    if excluding is not None:
        requested = requested.exclude(pk=excluding)
    return int(requested.aggregate(t=Sum("amount"))["t"] or 0)


def refund_left(payment: Payment) -> int:
    """What can still be refunded: paid, minus refunded in the ledger, minus refunds waiting for Stripe."""
    return payment_refundable(payment) - refund_in_flight(payment)


def refund_create(*, payment: Payment, amount: int, reason: str, by: User | None) -> Refund:
    """Refund (part of) a payment. Online: a `requested` row, then Stripe, then the ledger (see the module's
    docstring); Stripe unreachable or refusing marks the row failed, and what is left is as before.
    Offline: a cash refund is recorded."""
    refund = refund_request(payment=payment, amount=amount, reason=reason, by=by)
    if refund.status != Refund.Status.REQUESTED:
        return refund
    return refund_send(refund)


def refund_request(*, payment: Payment, amount: int, reason: str, by: User | None) -> Refund:
    """Step 1 alone: check what is left and write the refund (offline: the whole cash refund; online: the
    `requested` row that counts against what is left from now on). It may run inside the caller's transaction
    (the club settles a cancelled booking's ledger in the same one); the caller then sends it with
    `refund_send` once that transaction has committed, never while it holds locks."""
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
        left = refund_left(payment)
        if amount > left:
            raise ApplicationError.for_fields(
                {"amount": [_("At most ¥%(max).2f can still be refunded.") % {"max": left / 100}]}
            )
        if not online:
            entry = ledger.refund_record(payment=payment, amount=amount, reason=reason, by=by)
            refund = Refund.objects.create(
                payment=payment, amount=amount, reason=reason[:300], provider="offline", entry=entry, requested_by=by
            )
            audit_record(action="payments.refund", target=refund, changes={"payment": payment.pk, "amount": amount})
            after_commit(lambda: notify_refund(payment, amount, reason))
            return refund
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            reason=reason[:300],
            provider="stripe",
            status=Refund.Status.REQUESTED,
            requested_by=by,
        )
        audit_record(action="payments.refund_request", target=refund, changes={"payment": payment.pk, "amount": amount})
    return refund


def refund_send(refund: Refund) -> Refund:
    """Steps 2 and 3 of an online refund written as `requested`: ask Stripe (with no transaction open; the row's
    pk is Stripe's idempotency key, so sending the same row twice makes one refund), then apply its answer."""
    payment = refund.payment
    try:
        state = stripe_provider().refund_create(
            intent_id=payment.reference,
            amount=refund.amount,
            metadata={"tenant": connection.schema_name, "payment": str(payment.pk), "refund": str(refund.pk)},
            idempotency_key=f"{connection.schema_name}:refund:{refund.pk}",
        )
    except ApplicationError as exc:
        # Unreachable (maybe a timeout after Stripe did it: the webhook and the re-check still find it by the
        # row's pk in its metadata) or refused: the amount is refundable again now.
        refund_failed(refund, code=exc.code)
        raise
    # Stripe's id first, in its own statement: if applying fails below, the re-check asks Stripe by it.
    Refund.objects.filter(pk=refund.pk, provider_refund_id__isnull=True).update(provider_refund_id=state.id)
    settled = refund_settle(refund.pk, state)
    if settled.status == Refund.Status.FAILED:
        raise ApplicationError(
            _("The payment gateway did not make the refund (%(status)s); nothing was refunded.")
            % {"status": state.status},
            code="refund_failed",
            status=502,
        )
    return settled


def refund_failed(refund: Refund, *, code: str) -> bool:
    """A requested refund Stripe did not make: it stops counting against what is left. False if something
    else (the webhook, the re-check) applied an answer first."""
    with transaction.atomic():
        done = Refund.objects.filter(pk=refund.pk, status=Refund.Status.REQUESTED, entry__isnull=True).update(
            status=Refund.Status.FAILED, failure_code=code[:60]
        )
        if done:
            audit_record(
                action="payments.refund_failed",
                target=refund,
                changes={"payment": refund.payment_id, "amount": refund.amount, "code": code},
            )
    return bool(done)


def refund_settle(refund_pk: int, state: RefundState) -> Refund:
    """Apply Stripe's answer about one of our refunds, once, whoever has it first (refund_create, the webhook,
    the re-check). Made: the ledger refund entry and status succeeded / pending. Not made: failed. A refund
    marked failed because Stripe could not be reached that Stripe did make after all is recorded now."""
    payment = Refund.objects.select_related("payment__unit").get(pk=refund_pk).payment
    with transaction.atomic():
        ledger.unit_lock(payment.unit_id)
        locked = Refund.objects.select_for_update().get(pk=refund_pk)
        if locked.entry_id is not None:
            if locked.status == Refund.Status.PENDING and state.status == "succeeded":
                locked.status = Refund.Status.SUCCEEDED
                locked.save(update_fields=["status"])
            return locked
        if state.status not in MADE:
            if locked.status == Refund.Status.REQUESTED:
                locked.status = Refund.Status.FAILED
                locked.failure_code = f"stripe_{state.status}"[:60]
                locked.provider_refund_id = state.id
                locked.save(update_fields=["status", "failure_code", "provider_refund_id"])
                transaction.on_commit(lambda: metrics.payment_outcome("refund", "failed"))
                audit_record(
                    action="payments.refund_failed",
                    target=locked,
                    changes={"payment": payment.pk, "amount": locked.amount, "code": locked.failure_code},
                )
            return locked
        late = locked.status == Refund.Status.FAILED
        amount = state.amount or locked.amount
        # Never beyond the ledger: a late one must also leave room for the refunds now in flight.
        room = payment_refundable(payment) - (refund_in_flight(payment, excluding=locked.pk) if late else 0)
        if amount != locked.amount or amount > room:
            log.error(
                "refund %s: Stripe refunded %s of %s asked, %s left to record", locked.pk, amount, locked.amount, room
            )
            amount = min(amount, room)
        if amount <= 0:
            return locked
        # A late one is the gateway's doing, like a dashboard refund: not added to a cashier's (closed) day.
        by = None if late else locked.requested_by
        entry = ledger.refund_record(payment=payment, amount=amount, reason=locked.reason, by=by)
        locked.entry = entry
        locked.amount = amount
        locked.status = Refund.Status.SUCCEEDED if state.status == "succeeded" else Refund.Status.PENDING
        locked.provider_refund_id = state.id
        locked.failure_code = ""
        locked.save(update_fields=["entry", "amount", "status", "provider_refund_id", "failure_code"])
        outcome = str(locked.status)
        transaction.on_commit(lambda: metrics.payment_outcome("refund", outcome))
        audit_record(
            action="payments.refund",
            target=locked,
            changes={"payment": payment.pk, "amount": amount, "provider_refund": state.id, "late": late},
        )
        reason = locked.reason
        after_commit(lambda: notify_refund(payment, amount, reason))
    return locked


def _ours(payment: Payment, state: RefundState) -> Refund | None:
    """Our row for a refund Stripe reports: by Stripe's id, else by the pk we put in its metadata."""
    found = Refund.objects.filter(provider_refund_id=state.id).first()
    if found is not None:
        return found
    ref = str(state.metadata.get("refund") or "")
    if not ref.isdigit():
        return None
    return Refund.objects.filter(
        pk=int(ref), payment=payment, provider="stripe", provider_refund_id__isnull=True
    ).first()


def refund_sync(payment: Payment, state: RefundState) -> Refund | None:
    """A refund Stripe reports (webhook, re-check). Ours is settled (refund_settle); one made elsewhere, e.g. in
    the Stripe dashboard, is recorded once, by its id. Failed refunds of others record nothing."""
    ours = _ours(payment, state)
    if ours is not None:
        return refund_settle(ours.pk, state)
    if state.status not in MADE:
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


def refund_recheck(refund: Refund) -> Refund:
    """Ask Stripe about a refund whose answer was never applied (requested), or that was marked failed because
    Stripe could not be reached: apply what Stripe has. A requested refund Stripe has no trace of never
    reached it: it is failed, and the amount refundable again. Raises GatewayUnavailable."""
    gateway = stripe_provider()
    payment = refund.payment
    state: RefundState | None
    if refund.provider_refund_id:
        state = gateway.refund_retrieve(refund.provider_refund_id)
    else:
        state = next(
            (s for s in gateway.refunds_list(payment.reference) if s.metadata.get("refund") == str(refund.pk)), None
        )
    Refund.objects.filter(pk=refund.pk).update(checked_at=timezone.now())
    if state is not None:
        return refund_settle(refund.pk, state)
    if refund.status == Refund.Status.REQUESTED:
        refund_failed(refund, code="not_at_gateway")
    return Refund.objects.get(pk=refund.pk)

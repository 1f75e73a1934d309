"""Giving a booking's money back, exactly once: a cancellation's refund (the resident before or after the cutoff,
staff, a closure) and the release or forfeit of its deposit.

booking.py records what is owed back (Booking.refund_due_fen, by the cutoff rule) when it cancels; once that
commits, `booking_refund_settle` settles it, in one transaction under the unit's ledger lock and the booking's
row lock, guarded by Booking.refund_status (so a retry, the sweep and a second worker settle nothing twice):

- what is not refunded stays charged: all of the fee line but the refundable part of the fee, and the deposit
  line but what is still held, are corrected (红冲; money.lines_cancel). An unpaid line is then owed no more;
  the paid part goes back to the payment that paid it as prepaid credit. That credit *is* the refund of money
  paid from the prepaid balance, at the counter, or of a line charged to the account;
- money paid online goes back to the card: for each online payment the corrections credited, a payments
  Refund row is written as `requested` in the same transaction (payments.refunds.refund_request: it counts
  against what is left to refund from then on), and sent to Stripe only after the commit, with no lock held
  (`booking_refunds_send`; the row's pk is Stripe's idempotency key, so sending twice makes one refund). The
  correction and the refund net out on the ledger: the line stays settled, the credit goes to the card.
  A refund Stripe could not be reached for is asked again by the sweep; one Stripe refused leaves the money
  as the home's prepaid credit (audited), never lost.

Deposits (registered by money.deposit_register) are released after use or forfeited with a reason through
billing's deposit_release, with the same money path as a refund for a release."""

from __future__ import annotations

import datetime as dt
import functools
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.ledger import deposit_release, unit_lock
from backend.billing.models import Deposit, LedgerEntry, Payment
from backend.billing.selectors import deposit_held
from backend.errors import ApplicationError
from backend.payments.models import Refund
from backend.payments.refunds import ONLINE_CHANNELS, refund_left, refund_request, refund_send

from .desk import booking_guest_deposit_settle, guest_refund_settle
from .models import Booking, BookingStatus, RefundStatus
from .money import booking_line_ids, booking_lock, line_charged_left, lines_cancel

log = logging.getLogger(__name__)

# A Stripe refund that failed for these reasons is asked again; any other failure is Stripe's final no.
RETRY_CODES = ("gateway_unavailable", "not_at_gateway")
SETTLED_BEFORE = (BookingStatus.CANCELLED,)


def _card_refunds(locked: Booking, *, since_id: int, reason: str) -> list[int]:
    """Refund rows (requested) for the online payments that the corrections since `since_id` credited."""
    credited: dict[int, int] = {}
    for payment_id, amount in LedgerEntry.objects.filter(
        id__gt=since_id, kind=LedgerEntry.Kind.UNSETTLE, bill_line_id__in=booking_line_ids(locked)
    ).values_list("payment_id", "amount"):
        credited[payment_id] = credited.get(payment_id, 0) + int(amount)
    made: list[int] = []
    for payment in Payment.objects.filter(pk__in=credited, channel__in=ONLINE_CHANNELS, reference__startswith="pi_"):
        amount = min(credited[payment.pk], refund_left(payment))
        if amount > 0:
            made.append(refund_request(payment=payment, amount=amount, reason=reason, by=None).pk)
    return made


def _deposit(booking: Booking) -> Deposit:
    assert booking.deposit is not None
    return booking.deposit


def _last_entry_id() -> int:
    return LedgerEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def booking_refund_on_commit(booking_id: int) -> None:
    """Settle the cancelled booking's money once the cancelling transaction commits (the sweep retries)."""

    def run() -> None:
        try:
            booking_refund_settle(booking_id=booking_id)
        except Exception:  # noqa: BLE001 - the cancellation stands; the periodic sweep settles it later
            log.exception("club: settling the refund of booking %s failed", booking_id)

    transaction.on_commit(run)


def booking_refund_settle(*, booking_id: int, now: dt.datetime | None = None) -> Booking:
    """Settle a cancelled booking's money (see the module docstring), then send its card refunds. Repeating it
    (a retry, the sweep, two workers at once) settles nothing twice."""
    now = now or timezone.now()
    booking = Booking.objects.get(pk=booking_id)
    if booking.status not in SETTLED_BEFORE or booking.refund_status != RefundStatus.NONE:
        return booking_refunds_send(booking_id=booking_id, now=now)
    if booking.unit_id is None or not booking_line_ids(booking):
        # A guest's booking (paid at the desk: handed back there) or one never charged: nothing on any ledger.
        guest_refund_settle(booking_id=booking_id, now=now)
        return Booking.objects.get(pk=booking_id)
    with transaction.atomic():
        unit_lock(booking.unit_id)
        locked = booking_lock(booking_id)
        if locked.refund_status != RefundStatus.NONE:
            return locked
        reason = _("Club booking %(code)s cancelled") % {"code": locked.code}
        keep, deposit_back = 0, None
        if locked.paid_at is not None:
            # refund_due_fen = the refundable part of the fee + the deposit (booking.refund_due).
            fee_back = max(0, min(locked.price_fen, locked.refund_due_fen - locked.deposit_fen))
            keep = locked.price_fen - fee_back
        if locked.deposit_id is not None:
            deposit_back = deposit_held(locked.deposit_id)
            if deposit_back > 0:
                deposit_release(deposit=_deposit(locked), refund=deposit_back, reason=reason, by=None)
        since = _last_entry_id()
        corrected = lines_cancel(locked, reason=reason, by=locked.cancelled_by, keep=keep, deposit=deposit_back)
        made = _card_refunds(locked, since_id=since, reason=reason)
        locked.refund_ids = [*locked.refund_ids, *made]
        locked.refund_status = RefundStatus.GATEWAY if made else RefundStatus.DONE
        if not made and locked.refund_due_fen:
            locked.refunded_at = now
        locked.save(update_fields=["refund_ids", "refund_status", "refunded_at"])
        audit_record(
            action="club.booking_refund",
            target=locked,
            changes={
                "refund_due_fen": locked.refund_due_fen,
                "corrected": corrected,
                "card_refunds": made,
                "kept_fen": keep,
            },
        )
    return booking_refunds_send(booking_id=booking_id, now=now)


def booking_refunds_send(*, booking_id: int, now: dt.datetime | None = None) -> Booking:
    """Send the booking's card refunds still `requested` to Stripe (no transaction open). When none is left
    waiting, a cancellation's refund is done: a refund Stripe could not be reached for is requested again
    (the next sweep sends it); one Stripe refused leaves the money as the home's prepaid credit."""
    now = now or timezone.now()
    booking = Booking.objects.get(pk=booking_id)
    for refund in Refund.objects.filter(pk__in=booking.refund_ids, status=Refund.Status.REQUESTED).select_related(
        "payment"
    ):
        try:
            refund_send(refund)
        except ApplicationError as exc:
            log.warning("club: card refund %s of booking %s not made: %s", refund.pk, booking_id, exc.code)
    if booking.refund_status != RefundStatus.GATEWAY:
        return Booking.objects.get(pk=booking_id)
    return _gateway_answered(booking_id, now)


def _gateway_answered(booking_id: int, now: dt.datetime) -> Booking:
    booking = Booking.objects.get(pk=booking_id)
    assert booking.unit_id is not None
    with transaction.atomic():
        unit_lock(booking.unit_id)
        locked = booking_lock(booking_id)
        refunds = list(Refund.objects.filter(pk__in=locked.refund_ids))
        if locked.refund_status != RefundStatus.GATEWAY or any(r.status == Refund.Status.REQUESTED for r in refunds):
            return locked
        retried, ids = [], list(locked.refund_ids)
        for refund in refunds:
            if refund.status != Refund.Status.FAILED:
                continue
            ids.remove(refund.pk)
            left = min(refund.amount, refund_left(refund.payment))
            if refund.failure_code in RETRY_CODES and left > 0:
                again = refund_request(payment=refund.payment, amount=left, reason=refund.reason, by=None)
                retried.append(again.pk)
                ids.append(again.pk)
            else:
                audit_record(
                    action="club.booking_refund_credit",
                    target=locked,
                    changes={"refund": refund.pk, "fen": refund.amount, "code": refund.failure_code},
                )
        locked.refund_ids = ids
        if not retried:
            locked.refund_status = RefundStatus.DONE
            locked.refunded_at = now
        locked.save(update_fields=["refund_ids", "refund_status", "refunded_at"])
    return locked


def booking_refunds_sweep(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Periodic: cancelled bookings whose money was not settled (the after-commit call failed), and card
    refunds still waiting for Stripe. Returns how many bookings were looked at."""
    now = now or timezone.now()
    quiet = now - dt.timedelta(minutes=1)  # leave the after-commit call of a fresh cancellation its minute
    todo = list(
        Booking.objects.filter(status__in=SETTLED_BEFORE, refund_status=RefundStatus.NONE, cancelled_at__lte=quiet)
        .order_by("cancelled_at")
        .values_list("pk", flat=True)[:limit]
    )
    waiting = Refund.objects.filter(status=Refund.Status.REQUESTED, created_at__lte=quiet).values_list("pk", flat=True)
    todo += list(
        Booking.objects.filter(refund_ids__overlap=list(waiting[:limit])).values_list("pk", flat=True)[:limit]
        if waiting
        else []
    )
    todo += list(Booking.objects.filter(refund_status=RefundStatus.GATEWAY).values_list("pk", flat=True)[:limit])
    for pk in dict.fromkeys(todo):
        try:
            booking_refund_settle(booking_id=pk, now=now)
        except Exception:  # noqa: BLE001 - one booking's trouble must not stop the others
            log.exception("club: refund sweep of booking %s failed", pk)
    return len(set(todo))


# --- deposits ---------------------------------------------------------------------------------------------


def _deposit_locked(booking: Booking, now: dt.datetime) -> Booking:
    if booking.unit_id is None or booking.deposit_charge_id is None:
        raise ApplicationError(_("This booking has no deposit."), code="no_deposit", status=409)
    unit_lock(booking.unit_id)
    locked = booking_lock(booking.pk)
    if locked.status == BookingStatus.CANCELLED:
        raise ApplicationError(
            _("A cancelled booking's deposit goes back with its refund."), code="invalid_state", status=409
        )
    if locked.status not in (BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW) and locked.starts_at > now:
        raise ApplicationError(
            _("A deposit is released or forfeited after the booking's time."), code="not_used_yet", status=409
        )
    return locked


def _after_commit_send(booking_id: int) -> None:
    def run() -> None:
        try:
            booking_refunds_send(booking_id=booking_id)
        except Exception:  # noqa: BLE001 - the sweep sends it later
            log.exception("club: sending the deposit refund of booking %s failed", booking_id)

    transaction.on_commit(functools.partial(run))


def booking_deposit_release(*, booking: Booking, by: User, reason: str = "", now: dt.datetime | None = None) -> Booking:
    """Staff give the deposit back after use: billing's deposit register is released and the deposit line
    corrected (paid online: a card refund, sent after commit; else prepaid credit). A deposit never paid (on
    account) is simply owed no more. Releasing twice is refused."""
    now = now or timezone.now()
    reason = (reason or "").strip() or _("Deposit released after use")
    if booking.unit_id is None:  # a guest's deposit, paid and handed back at the desk
        return booking_guest_deposit_settle(booking=booking, by=by, forfeit=False, reason=reason, now=now)
    with transaction.atomic():
        locked = _deposit_locked(booking, now)
        held = deposit_held(locked.deposit_id) if locked.deposit_id is not None else 0
        if locked.deposit_id is not None and held <= 0 or line_charged_left(int(locked.deposit_charge_id or 0)) <= 0:
            raise ApplicationError(_("This deposit was already released or forfeited."), code="settled", status=409)
        if locked.deposit_id is not None:
            deposit_release(deposit=_deposit(locked), refund=held, reason=reason, by=by)
        since = _last_entry_id()
        corrected = lines_cancel(
            locked, reason=reason, by=by, keep=line_charged_left(int(locked.charge_id or 0)), deposit=held or None
        )
        made = _card_refunds(locked, since_id=since, reason=reason)
        if made:
            locked.refund_ids = [*locked.refund_ids, *made]
            locked.save(update_fields=["refund_ids"])
            _after_commit_send(locked.pk)
        audit_record(
            action="club.deposit_release",
            target=locked,
            changes={"fen": held or sum(corrected.values()), "reason": reason, "card_refunds": made},
        )
    return locked


def booking_deposit_forfeit(*, booking: Booking, by: User, reason: str, now: dt.datetime | None = None) -> Booking:
    """Staff keep the deposit (damage, a no-show), with a reason: billing's register records it forfeited and the
    paid deposit line stays paid (the company's income). Only a paid deposit can be forfeited."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_fields({"reason": [_("Say why the deposit is kept.")]})
    if booking.unit_id is None:  # a guest's deposit, paid at the desk: the company keeps it
        return booking_guest_deposit_settle(booking=booking, by=by, forfeit=True, reason=reason, now=now)
    with transaction.atomic():
        locked = _deposit_locked(booking, now)
        if locked.deposit_id is None:
            raise ApplicationError(_("This deposit has not been paid."), code="not_paid", status=409)
        held = deposit_held(locked.deposit_id)
        if held <= 0:
            raise ApplicationError(_("This deposit was already released or forfeited."), code="settled", status=409)
        deposit_release(deposit=_deposit(locked), forfeit=held, reason=reason, by=by)
        audit_record(action="club.deposit_forfeit", target=locked, changes={"fen": held, "reason": reason})
    return locked

"""A walk-in guest's money at the club's desk. A guest has no home and so no ledger: staff record that the
guest paid (cash, POS or transfer) on the booking itself (paid_at, desk_method, desk_paid_by), which the
club's income report counts. The cutoff and refund rules then apply as to a home's booking: a cancellation
sets the refund due (booking.refund_due) and refunds.booking_refund_settle records it settled club-side (the
desk hands it back: refunded_at, audited). After the booking's time the deposit is handed back or kept, with
a reason (booking_guest_deposit_settle, through refunds.booking_deposit_release / _forfeit)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError

from .models import Booking, BookingStatus, DeskDeposit, DeskMethod

# A guest pays for a booking that stands or has been used.
PAYABLE = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW)


def _locked(booking: Booking) -> Booking:
    return Booking.objects.select_for_update(of=("self",)).select_related("facility").get(pk=booking.pk)


def booking_guest_paid(*, booking: Booking, method: str, by: User, now: dt.datetime | None = None) -> Booking:
    """Staff record that a walk-in guest paid the fee and the deposit at the desk. Once; a home's booking is
    paid on its bills instead, and a free one needs no payment."""
    now = now or timezone.now()
    if method not in DeskMethod.values:
        raise ApplicationError.for_fields({"method": [_("Choose how the guest paid: cash, POS card or transfer.")]})
    with transaction.atomic():
        locked = _locked(booking)
        if locked.unit_id is not None:
            raise ApplicationError(_("A home's booking is paid on the home's bills."), code="not_a_guest", status=409)
        if locked.total_fen <= 0:
            raise ApplicationError(_("This booking costs nothing."), code="free", status=409)
        if locked.paid_at is not None:
            raise ApplicationError(_("This booking has been paid."), code="paid", status=409)
        if locked.status not in PAYABLE:
            raise ApplicationError(
                _("This booking is %(status)s.") % {"status": locked.get_status_display().lower()},
                code="invalid_state",
                status=409,
            )
        locked.paid_at, locked.desk_method, locked.desk_paid_by = now, method, by
        locked.save(update_fields=["paid_at", "desk_method", "desk_paid_by"])
        audit_record(
            action="club.booking_guest_paid",
            target=locked,
            changes={"method": method, "fen": locked.total_fen, "price_fen": locked.price_fen},
        )
    return locked


def guest_refund_settle(*, booking_id: int, now: dt.datetime) -> bool:
    """A cancelled guest booking's refund (or a booking with nothing on any ledger): recorded settled once,
    handed back at the desk (refunded_at set when anything is due back). False when it was settled already."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking_id)
        if locked.refund_status != "":
            return False
        locked.refund_status = "done"
        locked.refunded_at = now if locked.refund_due_fen else None
        locked.save(update_fields=["refund_status", "refunded_at"])
        if locked.refund_due_fen:
            audit_record(
                action="club.booking_refund_desk",
                target=locked,
                changes={"refund_due_fen": locked.refund_due_fen, "method": locked.desk_method},
            )
    return True


def booking_guest_deposit_settle(
    *, booking: Booking, by: User, forfeit: bool, reason: str, now: dt.datetime
) -> Booking:
    """After the booking's time, a guest's deposit paid at the desk is handed back, or kept with a reason."""
    with transaction.atomic():
        locked = _locked(booking)
        if locked.deposit_fen <= 0:
            raise ApplicationError(_("This booking has no deposit."), code="no_deposit", status=409)
        if locked.status == BookingStatus.CANCELLED:
            raise ApplicationError(
                _("A cancelled booking's deposit goes back with its refund."), code="invalid_state", status=409
            )
        if locked.paid_at is None:
            raise ApplicationError(_("This deposit has not been paid."), code="not_paid", status=409)
        if locked.status not in (BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW) and locked.starts_at > now:
            raise ApplicationError(
                _("A deposit is released or forfeited after the booking's time."), code="not_used_yet", status=409
            )
        if locked.desk_deposit:
            raise ApplicationError(_("This deposit was already released or forfeited."), code="settled", status=409)
        locked.desk_deposit = DeskDeposit.FORFEITED if forfeit else DeskDeposit.RELEASED
        locked.desk_deposit_at, locked.desk_deposit_reason = now, reason[:300]
        locked.save(update_fields=["desk_deposit", "desk_deposit_at", "desk_deposit_reason"])
        audit_record(
            action="club.deposit_forfeit" if forfeit else "club.deposit_release",
            target=locked,
            changes={"fen": locked.deposit_fen, "reason": reason, "at_desk": True},
        )
    return locked

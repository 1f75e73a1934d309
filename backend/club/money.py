"""The money of a paid booking for a home: its lines on the unit's ledger, paying them, and confirming.

- **The fee and the deposit are bill lines.** When a booking for a unit is held for payment, the fee is posted
  as a one-off line (billing's `adhoc_charge_post`) of the facility's fee item, or of the office's default
  club item (code `club`, category "paid service", made on first use); the deposit as a second one-off line
  of the office's `club-deposit` item (category "deposit"). Both settle at once from the home's prepaid
  balance, when it has one. Booking.charge / Booking.deposit_charge are one-to-one with the lines, so a
  booking is charged once however often this runs.
- **Paying them is paying bills.** The resident pays the lines through the existing online flow (the pay page
  `/resident/pay/?unit=&lines=`, `POST /api/v1/payments/online/`), at the counter, or from prepaid money.
  Billing's payment hooks (registered in the club's AppConfig.ready) confirm, inside the payment's own
  transaction, the held bookings whose lines that payment left fully paid; a periodic sweep
  (`held_bookings_confirm`) confirms those settled some other way (a prepaid settlement after a top-up).
- **Deposits.** Billing's deposits are a register of money held apart from the fee account. The deposit is
  *collected* as a bill line (so it can be paid online like anything else) and, once that line is paid, the
  booking *registers* it with `deposit_hold` (method: the payment's), so staff see it among the home's
  deposits and release or forfeit it through `deposit_release` (refunds.py). The money itself stays where
  the ledger put it: a release gives the deposit line back (a correction, then a Stripe refund when it was
  paid online), a forfeit leaves the line paid (the company keeps it).
- **Charge to my account** (where ClubSettings.charge_to_account allows it): the booking is confirmed with its
  lines left owed on the unit's ledger, paid like any bill and counted in arrears like any bill; `paid_at`
  is set (the booking is settled as far as the club is concerned; a cancellation credits the line back).
- **An expired hold owes nothing.** Its unpaid lines are corrected (红冲) in full. A correction needs an
  approver (ledger_waiver_approved): the club's automatic corrections, which its published rules decide and
  no person chooses, are approved by the platform's rules account (`rules_approver`: an inactive user with
  no password and no membership, so it can sign in nowhere); `created_by` names whoever caused it.
- **Locks.** Everything here takes the unit's ledger lock before the booking's row lock, the order a payment
  takes them in (payment_record holds the unit's lock when it calls the hooks), so the two never deadlock."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.arrears import unit_sanctioned
from backend.billing.ledger import adhoc_charge_post, deposit_hold, unit_lock, waiver_post
from backend.billing.models import BillLine, FeeItem, LedgerEntry, Payment, Sanction
from backend.billing.models.fees import ChargeMethod, Cycle, FeeCategory
from backend.billing.selectors import lines_with_balances
from backend.errors import ApplicationError
from backend.notifications.services import notification_send
from backend.payments.models import OnlinePayment
from tenants.db import company_time_zone

from .models import Booking, BookingStatus, ClubSettings, Facility, SlotCell
from .realtime import availability_push_on_commit
from .rules import cell_starts, local_date

log = logging.getLogger(__name__)

RULES_EMAIL = "club-rules@system.invalid"
FEE_CODE, DEPOSIT_CODE = "club", "club-deposit"
# Online payment states in which the resident has paid or is paying: the hold waits for the answer.
IN_FLIGHT = (OnlinePayment.Status.PROCESSING, OnlinePayment.Status.REQUIRES_ACTION)
# ... but not for ever: a 3-D Secure page abandoned stays requires_action at Stripe. Past this the hold
# expires anyway; a payment that succeeds later finds its lines corrected and becomes prepaid credit.
IN_FLIGHT_GRACE = dt.timedelta(minutes=30)


def rules_approver() -> User:
    """The account that approves the corrections the club's rules make (see the module docstring)."""
    user = User.objects.filter(email=RULES_EMAIL).first()
    if user is not None:
        return user
    user, created = User.objects.get_or_create(
        email=RULES_EMAIL, defaults={"name": "System (club rules)", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _today(now: dt.datetime) -> dt.date:
    return local_date(now, company_time_zone())


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(company_time_zone())


def club_fee_item(*, facility: Facility, office_id: int, deposit: bool) -> FeeItem:
    """The item a booking's fee (or deposit) is charged as in the home's office: the facility's own item when
    it belongs to that office, else the office's default club item, made on first use."""
    if not deposit and facility.fee_item_id is not None:
        item = FeeItem.objects.filter(pk=facility.fee_item_id, office_id=office_id).first()
        if item is not None:
            return item
    code = DEPOSIT_CODE if deposit else FEE_CODE
    defaults = {
        "name": _("Club booking deposit") if deposit else _("Club booking"),
        "category": FeeCategory.DEPOSIT if deposit else FeeCategory.SERVICE,
        "method": ChargeMethod.FIXED,
        "cycle": Cycle.ONE_OFF,
    }
    item, _created = FeeItem.objects.get_or_create(office_id=office_id, code=code, defaults=defaults)
    return item


def booking_line_ids(booking: Booking) -> list[int]:
    return [pk for pk in (booking.charge_id, booking.deposit_charge_id) if pk is not None]


def booking_lock(booking_id: int) -> Booking:
    """The booking row locked for update (after the unit's ledger lock, the order a payment takes them in)."""
    return Booking.objects.select_for_update(of=("self",)).select_related("facility", "unit").get(pk=booking_id)


def booking_charges_post(
    *, booking: Booking, by: User | None, now: dt.datetime | None = None, on_account: bool = False
) -> Booking:
    """Post the held booking's fee and deposit as lines on its unit's ledger, once (repeating posts nothing);
    when the prepaid balance covers them the booking is confirmed at once.

    `on_account`: a booking staff made for a home, confirmed at once (booking_create_by_staff, a staff series):
    its lines are posted the same way and left owed on the home's bills, as "charge to my account" leaves them
    (paid_at and charged_to_account_at set; the cutoff and refund rules then apply), unless prepaid money
    paid them at once (paid_at, the payment, the deposit registered)."""
    now = now or timezone.now()
    if booking.unit_id is None or booking.total_fen <= 0:
        return booking
    with transaction.atomic():
        unit_lock(booking.unit_id)
        locked = booking_lock(booking.pk)
        staff_confirmed = on_account and locked.status == BookingStatus.CONFIRMED and locked.paid_at is None
        if locked.status != BookingStatus.HELD and not staff_confirmed:
            return locked
        today, unit, facility = _today(now), locked.unit, locked.facility
        assert unit is not None
        what = f"{facility.name} {_local(locked.starts_at):%Y-%m-%d %H:%M} ({locked.code})"
        posted: dict[str, int] = {}
        if locked.price_fen > 0 and locked.charge_id is None:
            locked.charge = adhoc_charge_post(
                unit=unit,
                fee_item=club_fee_item(facility=facility, office_id=unit.office_id, deposit=False),
                amount=locked.price_fen,
                description=what,
                due_date=today,
                by=by,
                today=today,
            )
            posted["charge"] = locked.charge.pk
        if locked.deposit_fen > 0 and locked.deposit_charge_id is None:
            locked.deposit_charge = adhoc_charge_post(
                unit=unit,
                fee_item=club_fee_item(facility=facility, office_id=unit.office_id, deposit=True),
                amount=locked.deposit_fen,
                description=_("Deposit: %(what)s") % {"what": what},
                due_date=today,
                by=by,
                today=today,
            )
            posted["deposit_charge"] = locked.deposit_charge.pk
        if posted:
            locked.save(update_fields=["charge", "deposit_charge"])
            audit_record(action="club.booking_charge", target=locked, changes=posted)
        if staff_confirmed:
            _on_account(locked, now=now)
        else:
            _confirm_if_paid(locked, now=now)
    return locked


def _on_account(locked: Booking, *, now: dt.datetime) -> None:
    """A confirmed staff booking whose lines were just posted: settled as far as the club is concerned, its
    lines paid from prepaid money or left owed on the home's bills (see booking_charges_post)."""
    ids = booking_line_ids(locked)
    locked.paid_at = now
    if lines_paid(ids):
        locked.payment = _settling_payment(ids)
    else:
        locked.charged_to_account_at = now
    locked.save(update_fields=["paid_at", "payment", "charged_to_account_at"])
    deposit_register(locked, by=None, now=now)
    audit_record(
        action="club.booking_staff_on_account",
        target=locked,
        changes={
            "lines": ids,
            "fen": locked.total_fen,
            "payment": locked.payment_id,
            "owed": locked.charged_to_account_at is not None,
        },
    )


def _settling_payment(line_ids: Sequence[int]) -> Payment | None:
    entry = (
        LedgerEntry.objects.filter(bill_line_id__in=line_ids, kind=LedgerEntry.Kind.SETTLE)
        .select_related("payment")
        .order_by("-id")
        .first()
    )
    return entry.payment if entry is not None else None


def _online_of(payment: Payment | None) -> OnlinePayment | None:
    """The online attempt behind a payment (inside the payment's transaction it is not linked yet: by its
    intent, which the payment carries as its reference)."""
    if payment is None:
        return None
    found = Q(payment=payment)
    if payment.reference.startswith("pi_"):
        found |= Q(intent_id=payment.reference)
    return OnlinePayment.objects.filter(found).first()


def lines_paid(line_ids: Sequence[int]) -> bool:
    """Nothing left owed on any of the lines (their `outstanding` column, kept by the ledger's triggers)."""
    return bool(line_ids) and not BillLine.objects.filter(pk__in=line_ids, outstanding__gt=0).exists()


def _confirm_if_paid(locked: Booking, *, now: dt.datetime, payment: Payment | None = None) -> bool:
    """Confirm a locked held booking whose lines are all paid (inside the caller's transaction, unit locked)."""
    ids = booking_line_ids(locked)
    if locked.status != BookingStatus.HELD or not lines_paid(ids):
        return False
    payment = payment or _settling_payment(ids)
    locked.status = BookingStatus.CONFIRMED
    locked.paid_at = now
    locked.payment = payment
    locked.online_payment = _online_of(payment)
    locked.save(update_fields=["status", "paid_at", "payment", "online_payment"])
    deposit_register(locked, by=None, now=now)
    audit_record(
        action="club.booking_paid",
        target=locked,
        changes={"payment": payment.pk if payment else None, "lines": ids, "status": locked.status},
    )
    _notify(locked, "club.booking_confirmed", _("Booking confirmed"))
    _push(locked)
    return True


def deposit_register(locked: Booking, *, by: User | None, now: dt.datetime) -> None:
    """Register the booking's deposit in billing's deposits once its line is paid (see the module docstring)."""
    if locked.deposit_id is not None or locked.deposit_charge_id is None or locked.unit is None:
        return
    if not lines_paid([locked.deposit_charge_id]):
        return
    paid_by = _settling_payment([locked.deposit_charge_id])
    locked.deposit = deposit_hold(
        unit=locked.unit,
        amount=locked.deposit_fen,
        purpose=_("Club booking %(code)s") % {"code": locked.code},
        method=paid_by.method if paid_by else Payment.Method.CASH,
        reference=locked.code,
        payer_name=paid_by.payer_name if paid_by else "",
        received_at=now,
        by=by,
    )
    locked.save(update_fields=["deposit"])


def _push(booking: Booking) -> None:
    """The booking's cells as they stand (a confirmation changes no count, but the grid shows it settled)."""
    starts = cell_starts(booking.starts_at, booking.ends_at, booking.cell_minutes)
    cells = SlotCell.objects.filter(facility_id=booking.facility_id, starts_at__in=starts)
    availability_push_on_commit(booking.facility_id, [(c.starts_at, c.capacity - c.taken) for c in cells])


def _notify(booking: Booking, kind: str, title: str) -> None:
    recipient = User.objects.filter(pk=booking.user_id).first() if booking.user_id else None
    if recipient is None:
        return
    when = f"{booking.facility.name} {_local(booking.starts_at):%m-%d %H:%M}"
    notification_send(
        recipient=recipient,
        kind=kind,
        title=f"{title}: {when}",
        payload={"booking": booking.pk, "facility": booking.facility_id},
    )


# --- confirming what was paid ---------------------------------------------------------------------------------


def _held_for_payments(payment_ids: Sequence[int]) -> list[int]:
    settled = LedgerEntry.objects.filter(payment_id__in=payment_ids, kind=LedgerEntry.Kind.SETTLE).values(
        "bill_line_id"
    )
    return list(
        Booking.objects.filter(status=BookingStatus.HELD)
        .filter(Q(charge_id__in=settled) | Q(deposit_charge_id__in=settled))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def payments_confirm_bookings(payments: Sequence[Any]) -> None:
    bookings_confirm_for(payments)


def bookings_confirm_for(payments: Sequence[Any]) -> int:
    """Billing's payment hook: inside the payment's transaction (the unit's lock held), confirm the held
    bookings these payments left fully paid. Never raises: a failure here must not refuse the payment (the
    periodic sweep confirms the booking later); it is logged and its savepoint rolled back."""
    try:
        ids = _held_for_payments([p.pk for p in payments])
    except Exception:
        log.exception("club: finding the bookings paid by payments %s failed", [p.pk for p in payments])
        return 0
    by_pk = {p.pk: p for p in payments}
    confirmed = 0
    for pk in ids:
        try:
            with transaction.atomic():
                locked = booking_lock(pk)
                paid_by = _settling_payment(booking_line_ids(locked))
                payment = by_pk.get(paid_by.pk) if paid_by else None
                payment = payment or paid_by
                # Paid when the money came (a counter payment may be recorded after it was received).
                paid_at = getattr(payment, "received_at", None) or timezone.now()
                confirmed += _confirm_if_paid(locked, now=paid_at, payment=payment)
        except Exception:
            log.exception("club: confirming booking %s after a payment failed", pk)
    return confirmed


def payment_confirms_bookings(payment: Any) -> None:
    bookings_confirm_for([payment])


def held_bookings_confirm(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The periodic sweep: held bookings whose lines were settled another way (a prepaid settlement, an
    import), and held bookings whose lines were never posted (the post after booking failed), are brought
    up to date. Returns how many were confirmed."""
    now = now or timezone.now()
    confirmed = 0
    held = Booking.objects.filter(status=BookingStatus.HELD, unit__isnull=False)
    unposted = held.filter(
        Q(price_fen__gt=0, charge__isnull=True) | Q(deposit_fen__gt=0, deposit_charge__isnull=True)
    ).values_list("pk", flat=True)[:limit]
    for pk in list(unposted):
        try:
            booking = booking_charges_post(booking=Booking.objects.get(pk=pk), by=None, now=now)
            confirmed += booking.status == BookingStatus.CONFIRMED
        except Exception:
            log.exception("club: posting the lines of booking %s failed", pk)
    open_lines = BillLine.objects.filter(outstanding__gt=0).values("pk")
    paid = (
        held.filter(Q(charge__isnull=False) | Q(deposit_charge__isnull=False))
        .exclude(charge_id__in=open_lines)
        .exclude(deposit_charge_id__in=open_lines)
        .values_list("pk", "unit_id")[:limit]
    )
    for pk, unit_id in list(paid):
        with transaction.atomic():
            unit_lock(unit_id)
            confirmed += _confirm_if_paid(booking_lock(pk), now=now)
    # Confirmed bookings whose deposit line was paid after they were charged to the account.
    unregistered = (
        Booking.objects.filter(deposit__isnull=True, deposit_charge__isnull=False, status=BookingStatus.CONFIRMED)
        .exclude(deposit_charge_id__in=open_lines)
        .values_list("pk", "unit_id")[:limit]
    )
    for pk, unit_id in list(unregistered):
        with transaction.atomic():
            unit_lock(unit_id)
            deposit_register(booking_lock(pk), by=None, now=now)
    return confirmed


# --- holds that expire ----------------------------------------------------------------------------------------


def lines_payment_in_flight(
    *, unit_id: int, line_ids: Sequence[int], hold_expires_at: dt.datetime | None, now: dt.datetime
) -> bool:
    """An online payment for these lines is being processed or authenticated (3-D Secure), so a hold on them
    must not expire under it — for at most IN_FLIGHT_GRACE past the hold's end (an abandoned page)."""
    if not line_ids or (hold_expires_at and hold_expires_at + IN_FLIGHT_GRACE <= now):
        return False
    paying = Q(status__in=IN_FLIGHT) | Q(status=OnlinePayment.Status.CREATED, confirmed_at__isnull=False)
    return OnlinePayment.objects.filter(paying, unit_id=unit_id, line_ids__overlap=list(line_ids)).exists()


def payment_in_flight(booking: Booking, *, now: dt.datetime) -> bool:
    """An online payment for the booking's lines is in flight (see lines_payment_in_flight)."""
    return lines_payment_in_flight(
        unit_id=int(booking.unit_id or 0),
        line_ids=booking_line_ids(booking),
        hold_expires_at=booking.hold_expires_at,
        now=now,
    )


def lines_cancel(
    locked: Booking, *, reason: str, by: User | None, keep: int = 0, deposit: int | None = None
) -> dict[int, int]:
    """Correct (红冲) what is still charged on the booking's lines: all of the fee line but `keep` fen (a late
    cancellation's fee), and `deposit` fen of the deposit line (None: all of it). An unpaid part is owed no
    more; a paid part goes back to the payment that paid it as prepaid credit (refunds.py sends online money
    back to the card). Inside the caller's transaction, unit locked. Returns {line id: fen corrected}."""
    done: dict[int, int] = {}
    approver = rules_approver()
    for line_id, wanted in ((locked.charge_id, None), (locked.deposit_charge_id, deposit)):
        if line_id is None:
            continue
        left = line_charged_left(line_id)
        amount = min(left, wanted) if wanted is not None else left - (keep if line_id == locked.charge_id else 0)
        if amount <= 0:
            continue
        waiver_post(
            line=BillLine.objects.get(pk=line_id),
            amount=amount,
            reason=reason,
            approved_by=approver,
            created_by=by,
            kind=LedgerEntry.WaiverKind.CORRECTION,
        )
        done[line_id] = amount
    return done


def line_balances(line_id: int) -> tuple[int, int]:
    """(charged less what was waived or corrected so far, still owed) of one line."""
    line = lines_with_balances(BillLine.objects.filter(pk=line_id)).get()
    return int(line.charged) - int(line.waived), int(line.owed)  # type: ignore[attr-defined]


def line_charged_left(line_id: int) -> int:
    """Charged on the line, less what was waived or corrected so far."""
    return line_balances(line_id)[0]


def hold_expired(locked: Booking, *, now: dt.datetime) -> None:
    """A hold that expired (booking.holds_expire, unit locked): its unpaid lines are corrected, so the home owes
    nothing for a place it never got; anything paid on them meanwhile goes back as prepaid credit."""
    if not booking_line_ids(locked):
        return
    corrected = lines_cancel(locked, reason=_("Booking %(code)s not paid in time") % {"code": locked.code}, by=None)
    if corrected:
        audit_record(action="club.booking_charge_cancel", target=locked, changes={"corrected": corrected})


# --- charge to my account -------------------------------------------------------------------------------------


def booking_charge_to_account(*, booking: Booking, by: User, now: dt.datetime | None = None) -> Booking:
    """The resident confirms a held booking with its lines left owed on the home's ledger, where the company
    allows it and the home is not under the arrears sanction."""
    now = now or timezone.now()
    if not ClubSettings.load().charge_to_account:
        raise ApplicationError(
            _("This company does not take bookings on account."),
            code="charge_to_account_off",
            fields={"pay_with": [_("Charging to the home's account is not offered: pay online.")]},
            status=409,
        )
    if booking.unit_id is None:
        raise ApplicationError.for_fields({"unit": [_("Only a home's booking can be charged to its account.")]})
    if unit_sanctioned(booking.unit_id, Sanction.NO_PAID_BOOKING, today=_today(now)):
        raise ApplicationError(
            _("Paid bookings are suspended while this home has unpaid fees."),
            code="arrears",
            fields={"unit": [_("This home has overdue fees: it cannot charge bookings to its account.")]},
            status=409,
        )
    booking = booking_charges_post(booking=booking, by=by, now=now)
    with transaction.atomic():
        unit_lock(int(booking.unit_id or 0))
        locked = booking_lock(booking.pk)
        if locked.status == BookingStatus.CONFIRMED and locked.paid_at is not None:
            return locked  # paid meanwhile (from prepaid money), or charged already
        if locked.status != BookingStatus.HELD:
            raise ApplicationError(
                _("This booking is %(status)s.") % {"status": locked.get_status_display().lower()},
                code="invalid_state",
                status=409,
            )
        if locked.hold_expires_at is not None and locked.hold_expires_at <= now:
            raise ApplicationError(_("The hold on this place has expired."), code="expired", status=409)
        locked.status = BookingStatus.CONFIRMED
        locked.paid_at = locked.charged_to_account_at = now
        locked.save(update_fields=["status", "paid_at", "charged_to_account_at"])
        audit_record(
            action="club.booking_charge_to_account",
            target=locked,
            changes={"lines": booking_line_ids(locked), "fen": locked.total_fen},
        )
        _notify(locked, "club.booking_confirmed", _("Booking confirmed"))
        _push(locked)
    return locked


def booking_payable(booking: Booking) -> dict[str, Any]:
    """What the resident pays for a held booking: the lines still owed, their total and the pay page's link."""
    ids = booking_line_ids(booking)
    owed = dict(BillLine.objects.filter(pk__in=ids, outstanding__gt=0).values_list("pk", "outstanding"))
    open_ids = [pk for pk in ids if pk in owed]
    url = f"/resident/pay/?unit={booking.unit_id}" + "".join(f"&lines={i}" for i in open_ids) if open_ids else ""
    return {
        "booking": booking.pk,
        "status": booking.status,
        "unit": booking.unit_id,
        "line_ids": open_ids,
        "amount_fen": int(sum(owed.values())),
        "hold_expires_at": booking.hold_expires_at,
        "pay_url": url,
        "charge_to_account": ClubSettings.load().charge_to_account,
    }

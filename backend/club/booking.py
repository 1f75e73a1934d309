"""The booking engine: create (a resident for their home; staff for a home or a walk-in guest), cancel (the
resident before the start, with the cutoff rule for refunds; staff with a reason), approve and reject, and
the expiry of holds that were not paid in time.

Every check that needs no lock runs first (rules.py: the window, opening hours, closures, the grid and the
length; then the party size, who may book, the unit's suspension and the arrears block). Then, in one
transaction: the places (cells.py) and the unit's quotas (quotas.py), each a conditional UPDATE, and the
booking row with its audit entry. After commit the facility's group gets the new availability and the booker
a notification. Every service takes `now=` (default: the current time); days are the company's."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.arrears import unit_sanctioned
from backend.billing.ledger import unit_lock
from backend.billing.models import Sanction
from backend.errors import ApplicationError
from backend.notifications.services import notification_send
from backend.properties.models import Occupancy, Unit
from tenants.db import company_time_zone

from . import money
from .cells import cells_release, cells_take
from .models import Booking, BookingSource, BookingStatus, Closure, Facility
from .quotas import quota_release, quota_take
from .realtime import availability_push_on_commit
from .refunds import booking_refund_on_commit
from .rules import Rules, booking_cells, booking_price, cell_starts, local_date, midnight, rules_of, window_check
from .suspensions import suspension_check

# Unambiguous for reading aloud and typing (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
CANCELLABLE = (BookingStatus.HELD, BookingStatus.PENDING, BookingStatus.OFFERED, BookingStatus.CONFIRMED)
# Called with (booking, now) inside the transaction that released a booking's places: the waitlist
# (waitlist.py registers itself at start-up, so this module imports nothing of it) closes the offer's entry
# and offers the freed places to the next in line after commit.
RELEASE_HOOKS: list[Callable[[Booking, dt.datetime], None]] = []


def booking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def facility_rules(facility: Facility) -> Rules:
    """The facility's Rules (its opening hours: prefetched, or one query)."""
    return rules_of(facility, facility.opening_hours.all(), company_time_zone())


def closures_touching(facility_id: int, day: dt.date, tz: Any) -> list[Closure]:
    """The facility's closures that may cover `day` (one query; rules.py picks the exact occurrences)."""
    lo, hi = midnight(day, tz), midnight(day + dt.timedelta(days=1), tz)
    return list(Closure.objects.filter(facility_id=facility_id).filter(_one_off_overlapping(lo, hi) | _weekly_on(day)))


def _one_off_overlapping(lo: dt.datetime, hi: dt.datetime) -> Q:
    return Q(kind=Closure.Kind.ONE_OFF, starts_at__lt=hi, ends_at__gt=lo)


def _weekly_on(day: dt.date) -> Q:
    return Q(kind=Closure.Kind.WEEKLY, weekday=day.weekday(), first_date__lte=day) & (
        Q(last_date__isnull=True) | Q(last_date__gte=day)
    )


@dataclass(frozen=True)
class Planned:
    """A request that passed every check that needs no lock."""

    cells: list[dt.datetime]
    places: int
    minutes: int
    day: dt.date


def _plan(
    facility: Facility, starts_at: Any, ends_at: Any, party_size: Any, now: dt.datetime, *, window: bool
) -> Planned:
    if not facility.is_active:
        raise ApplicationError.for_fields({"facility": [_("This facility takes no bookings now.")]})
    if not isinstance(starts_at, dt.datetime) or not isinstance(ends_at, dt.datetime):
        raise ApplicationError.for_fields({"starts_at": [_("Give the start and the end of the booking.")]})
    if not (2000 < starts_at.year < 2100 and 2000 < ends_at.year < 2100):
        raise ApplicationError.for_fields({"starts_at": [_("Give a time in this century.")]})
    if not isinstance(party_size, int) or isinstance(party_size, bool) or party_size < 1:
        raise ApplicationError.for_fields({"party_size": [_("At least one person.")]})
    if party_size > facility.max_party_size:
        raise ApplicationError.for_fields(
            {"party_size": [_("At most %(n)d people per booking.") % {"n": facility.max_party_size}]}
        )
    rules = facility_rules(facility)
    if window:
        window_check(rules, starts_at, now)
    elif ends_at <= now:
        raise ApplicationError.for_fields({"starts_at": [_("That time has passed.")]})
    day = local_date(starts_at, rules.tz)
    cells = booking_cells(rules, starts_at, ends_at, closures_touching(facility.pk, day, rules.tz))
    places = party_size if facility.counts_people else 1
    if places > facility.capacity:
        raise ApplicationError.for_fields(
            {"party_size": [_("At most %(n)d people at a time.") % {"n": facility.capacity}]}
        )
    return Planned(cells, places, int((ends_at - starts_at).total_seconds() // 60), day)


def _may_book(facility: Facility, user: User, unit: Unit, now: dt.datetime) -> None:
    """The home's occupant with an allowed role, in an estate that may book; not suspended; not in arrears
    when the facility costs money and the company's sanction is on."""
    roles = set(
        Occupancy.objects.filter(unit=unit, person__user_id=user.pk, end_date__isnull=True).values_list(
            "role", flat=True
        )
    )
    if not roles:
        raise ApplicationError.for_fields({"unit": [_("Book for a home you live in.")]})
    if unit.estate_id not in facility.bookable_estate_ids:
        raise ApplicationError.for_fields({"unit": [_("Homes of this estate cannot book this facility.")]})
    if not roles & set(facility.allowed_roles):
        raise ApplicationError.for_fields(
            {"unit": [_("This facility takes bookings from owners, tenants or household members it names.")]}
        )
    _unit_may_book(facility, unit, now)


def _unit_may_book(facility: Facility, unit: Unit, now: dt.datetime) -> None:
    suspension_check(unit_id=unit.pk, now=now)
    today = local_date(now, company_time_zone())
    if facility.is_paid and unit_sanctioned(unit.pk, Sanction.NO_PAID_BOOKING, today=today):
        raise ApplicationError(
            _("Paid bookings are suspended while this home has unpaid fees."),
            code="arrears",
            fields={"unit": [_("This home has overdue fees: paid facilities cannot be booked.")]},
            status=409,
        )


def _existing(key: str | None, facility: Facility, starts_at: dt.datetime) -> Booking | None:
    if key is None:
        return None
    booking = Booking.objects.filter(idempotency_key=key).first()
    if booking is not None and (booking.facility_id != facility.pk or booking.starts_at != starts_at):
        raise ApplicationError(
            _("This Idempotency-Key was used for another booking."), code="idempotency_conflict", status=409
        )
    return booking


def _insert(
    *,
    facility: Facility,
    plan: Planned,
    unit: Unit | None,
    quota: bool,
    audit_action: str,
    **fields: Any,
) -> Booking:
    """Take the places (and the unit's quotas), write the booking and its audit entry, push on commit."""
    with transaction.atomic():
        left = cells_take(facility_id=facility.pk, capacity=facility.capacity, cells=plan.cells, places=plan.places)
        periods = (
            quota_take(facility=facility, unit_id=unit.pk, day=plan.day, minutes=plan.minutes)
            if quota and unit is not None
            else []
        )
        booking = Booking.objects.create(
            facility=facility,
            unit=unit,
            cell_minutes=facility.cell_minutes,
            places=plan.places,
            quota_periods=periods,
            code=booking_code(),
            **fields,
        )
        audit_record(
            action=audit_action,
            target=booking,
            object_repr=f"{facility.name} {_local(booking.starts_at):%Y-%m-%d %H:%M}",
            changes={
                "facility": facility.pk,
                "unit": unit.pk if unit else None,
                "starts_at": booking.starts_at.isoformat(),
                "ends_at": booking.ends_at.isoformat(),
                "party_size": booking.party_size,
                "status": booking.status,
                "price_fen": booking.price_fen,
                "deposit_fen": booking.deposit_fen,
            },
        )
        availability_push_on_commit(facility.pk, left)
        _notify_status(booking)
    return booking


def booking_create(
    *,
    facility: Facility,
    user: User,
    unit: Unit,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    party_size: int = 1,
    idempotency_key: str | None = None,
    source: str = BookingSource.RESIDENT,
    now: dt.datetime | None = None,
) -> Booking:
    """A resident books for their home. Free and auto-confirmed → confirmed; approval → pending; paid →
    held for `hold_minutes` while they pay. Refusals are ApplicationErrors naming the field (409 "full" and
    "quota_reached" when the counters say no)."""
    now = now or timezone.now()
    key = f"{user.pk}:{idempotency_key}" if idempotency_key else None
    if (existing := _existing(key, facility, starts_at)) is not None:
        return existing
    plan = _plan(facility, starts_at, ends_at, party_size, now, window=True)
    _may_book(facility, user, unit, now)
    price = booking_price(
        mode=facility.price_mode,
        unit_price=facility.resident_price_fen,
        cells=len(plan.cells),
        minutes=plan.minutes,
        party_size=party_size,
    )
    deposit = facility.deposit_fen
    status, hold = _first_status(facility, price + deposit, now)
    try:
        booking = _insert(
            facility=facility,
            plan=plan,
            unit=unit,
            quota=True,
            audit_action="club.booking_create",
            user=user,
            starts_at=starts_at,
            ends_at=ends_at,
            party_size=party_size,
            status=status,
            hold_expires_at=hold,
            source=source,
            price_fen=price,
            deposit_fen=deposit,
            idempotency_key=key,
            created_by=user,
        )
    except IntegrityError:
        # The same key raced in twice: the other request's booking stands (this one took nothing).
        if key is not None and (existing := Booking.objects.filter(idempotency_key=key).first()) is not None:
            return existing
        raise
    # A held booking's fee and deposit go on the home's ledger at once (and are paid there if prepaid money
    # covers them); if that fails the hold stands and the sweep posts them (money.held_bookings_confirm).
    return money.booking_charges_post(booking=booking, by=user, now=now)


def _first_status(facility: Facility, total: int, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    if facility.requires_approval:
        return BookingStatus.PENDING, None
    if total > 0:
        return BookingStatus.HELD, now + dt.timedelta(minutes=facility.hold_minutes)
    return BookingStatus.CONFIRMED, None


def booking_create_by_staff(
    *,
    facility: Facility,
    by: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    party_size: int = 1,
    unit: Unit | None = None,
    guest_name: str = "",
    guest_phone: str = "",
    now: dt.datetime | None = None,
) -> Booking:
    """Staff book for a home (resident price, the home's quotas, suspension and arrears block apply) or for a
    walk-in guest who need not be in the registry (guest price). Confirmed at once: a home's fee and deposit
    are posted on its ledger and left owed on its bills (money.booking_charges_post on_account); a guest pays
    at the desk (desk.booking_guest_paid); the booking window and
    the minimum notice do not bind staff, the opening hours, closures and capacity do. The caller passes a
    facility (and unit) from the staff member's scope."""
    now = now or timezone.now()
    guest_name, guest_phone = (guest_name or "").strip(), (guest_phone or "").strip()
    if unit is None and not guest_name:
        raise ApplicationError.for_fields({"guest_name": [_("Name the guest, or choose a home.")]})
    if len(guest_name) > 60 or len(guest_phone) > 20:
        raise ApplicationError.for_fields({"guest_name": [_("At most 60 characters (phone: 20).")]})
    plan = _plan(facility, starts_at, ends_at, party_size, now, window=False)
    if unit is not None:
        _unit_may_book(facility, unit, now)
    price = booking_price(
        mode=facility.price_mode,
        unit_price=facility.resident_price_fen if unit is not None else facility.guest_price_fen,
        cells=len(plan.cells),
        minutes=plan.minutes,
        party_size=party_size,
    )
    on_ledger = unit is not None and price + facility.deposit_fen > 0
    with transaction.atomic():
        if on_ledger:
            assert unit is not None
            unit_lock(unit.pk)  # the ledger's lock before the cells', the order holds_expire takes them in
        booking = _insert(
            facility=facility,
            plan=plan,
            unit=unit,
            quota=unit is not None,
            audit_action="club.booking_create_staff",
            user=None,
            guest_name="" if unit is not None else guest_name,
            guest_phone=guest_phone,
            starts_at=starts_at,
            ends_at=ends_at,
            party_size=party_size,
            status=BookingStatus.CONFIRMED,
            source=BookingSource.STAFF,
            price_fen=price,
            deposit_fen=facility.deposit_fen,
            created_by=by,
        )
        if on_ledger:
            # The fee and the deposit go on the home's bills, owed there like a charge to the account.
            booking = money.booking_charges_post(booking=booking, by=by, now=now, on_account=True)
    return booking


# --- releasing places -----------------------------------------------------------------------------------


def _release(booking: Booking, now: dt.datetime) -> None:
    """Give back the booking's places in the cells not yet started, and its quotas; push on commit."""
    cells = [c for c in cell_starts(booking.starts_at, booking.ends_at, booking.cell_minutes) if c >= now]
    left = cells_release(facility_id=booking.facility_id, cells=cells, places=booking.places)
    if booking.unit_id and booking.quota_periods:
        quota_release(
            facility_id=booking.facility_id,
            unit_id=booking.unit_id,
            day=local_date(booking.starts_at, company_time_zone()),
            minutes=int((booking.ends_at - booking.starts_at).total_seconds() // 60),
            periods=list(booking.quota_periods),
        )
    availability_push_on_commit(booking.facility_id, left)
    for hook in RELEASE_HOOKS:
        hook(booking, now)


def _locked(booking: Booking, statuses: tuple[str, ...]) -> Booking:
    """The booking locked for update, in one of `statuses`, else a 409 naming its status."""
    locked = Booking.objects.select_for_update().select_related("facility").get(pk=booking.pk)
    if locked.status not in statuses:
        raise ApplicationError(
            _("This booking is %(status)s.") % {"status": locked.get_status_display().lower()},
            code="invalid_state",
            status=409,
        )
    return locked


def refund_due(booking: Booking, *, now: dt.datetime, full: bool) -> int:
    """What the booker gets back on cancelling now: nothing unpaid is refunded; before the cutoff (or when the
    company cancels) the fee and the deposit; after it the facility's late-cancel percentage of the fee
    (rounded down to the fen) and the deposit."""
    if booking.paid_at is None:
        return 0
    cutoff = booking.starts_at - dt.timedelta(minutes=booking.facility.cancel_cutoff_minutes)
    if full or now <= cutoff:
        return booking.price_fen + booking.deposit_fen
    return booking.price_fen * booking.facility.late_cancel_refund_percent // 100 + booking.deposit_fen


def booking_cancel_locked(
    booking: Booking,
    *,
    by: User | None,
    reason: str,
    now: dt.datetime,
    full: bool,
    action: str,
    kind: str = "club.booking_cancelled",
) -> Booking:
    """Cancel inside the caller's transaction (a closure cancels many): lock, set the refund due, free the
    places, audit, notify the booker with `kind`."""
    locked = _locked(booking, CANCELLABLE)
    locked.refund_due_fen = refund_due(locked, now=now, full=full)
    locked.status = BookingStatus.CANCELLED
    locked.cancelled_at, locked.cancelled_by, locked.cancel_reason = now, by, reason[:300]
    locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "refund_due_fen"])
    _release(locked, now)
    booking_refund_on_commit(locked.pk)  # refunds.py settles the money once this commits
    audit_record(
        action=action,
        target=locked,
        changes={"reason": reason, "refund_due_fen": locked.refund_due_fen, "starts_at": locked.starts_at.isoformat()},
    )
    title = _("Facility closed") if kind == "club.facility_closed" else _("Booking cancelled")
    _notify(locked, kind, title, body=reason)
    return locked


def booking_cancel(*, booking: Booking, by: User, now: dt.datetime | None = None) -> Booking:
    """The resident cancels before the start (the caller passes a booking from their scope). The refund due
    follows the cutoff rule (refund_due)."""
    now = now or timezone.now()
    if booking.starts_at <= now:
        raise ApplicationError(_("A booking that has started cannot be cancelled."), code="started", status=409)
    with transaction.atomic():
        return booking_cancel_locked(booking, by=by, reason="", now=now, full=False, action="club.booking_cancel")


def booking_cancel_by_staff(*, booking: Booking, by: User, reason: str, now: dt.datetime | None = None) -> Booking:
    """Staff cancel with a reason, any time before the end; the company cancels, so everything paid is due
    back. Only the cells not yet started are freed."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_fields({"reason": [_("Say why the booking is cancelled.")]})
    if booking.ends_at <= now:
        raise ApplicationError(_("This booking is over."), code="over", status=409)
    with transaction.atomic():
        return booking_cancel_locked(
            booking, by=by, reason=reason, now=now, full=True, action="club.booking_cancel_staff"
        )


def booking_approve(*, booking: Booking, by: User, now: dt.datetime | None = None) -> Booking:
    """Pending → confirmed, or held for payment when it costs something (the hold starts now)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(booking, (BookingStatus.PENDING,))
        if locked.ends_at <= now:
            raise ApplicationError(_("This booking is over."), code="over", status=409)
        status, hold = _first_status(_without_approval(locked.facility), locked.total_fen, now)
        locked.status, locked.hold_expires_at = status, hold
        locked.approved_at, locked.approved_by = now, by
        locked.save(update_fields=["status", "hold_expires_at", "approved_at", "approved_by"])
        audit_record(action="club.booking_approve", target=locked, changes={"status": status})
        _notify(locked, "club.booking_approved", _("Booking approved"))
    if locked.status == BookingStatus.HELD:
        return money.booking_charges_post(booking=locked, by=by, now=now)
    return locked


def _without_approval(facility: Facility) -> Facility:
    copy = Facility(**{f.attname: getattr(facility, f.attname) for f in Facility._meta.concrete_fields})
    copy.requires_approval = False
    return copy


def booking_reject(*, booking: Booking, by: User, reason: str, now: dt.datetime | None = None) -> Booking:
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_fields({"reason": [_("Say why the booking is not approved.")]})
    with transaction.atomic():
        locked = _locked(booking, (BookingStatus.PENDING,))
        locked.status, locked.rejected_reason = BookingStatus.REJECTED, reason[:300]
        locked.approved_at, locked.approved_by = now, by
        locked.save(update_fields=["status", "rejected_reason", "approved_at", "approved_by"])
        _release(locked, now)
        audit_record(action="club.booking_reject", target=locked, changes={"reason": reason})
        _notify(locked, "club.booking_rejected", _("Booking not approved"), body=reason)
    return locked


def holds_expire(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Holds (awaiting payment) and waitlist offers past their time expire and free their places, and their
    unpaid lines are corrected (money.hold_expired); a hold whose online payment is being processed or
    authenticated waits (money.payment_in_flight). Each in its own short transaction, skipping rows another
    worker holds; returns how many expired."""
    now = now or timezone.now()
    due = list(
        Booking.objects.filter(
            status__in=[BookingStatus.HELD, BookingStatus.OFFERED], hold_expires_at__lte=now
        ).values_list("pk", "unit_id")[:limit]
    )
    expired = 0
    for pk, unit_id in due:
        with transaction.atomic():
            if unit_id is not None:
                unit_lock(unit_id)  # the ledger's lock before the row's, as a payment takes them
            booking = (
                Booking.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status__in=[BookingStatus.HELD, BookingStatus.OFFERED], hold_expires_at__lte=now)
                .first()
            )
            if booking is None or money.payment_in_flight(booking, now=now):
                continue
            booking.status = BookingStatus.EXPIRED
            booking.save(update_fields=["status"])
            _release(booking, now)
            money.hold_expired(booking, now=now)
            audit_record(action="club.booking_expire", target=booking)
            expired += 1
    return expired


# --- notifications ----------------------------------------------------------------------------------------


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(company_time_zone())


def _notify(booking: Booking, kind: str, title: str, body: str = "", url: str = "") -> None:
    if booking.user_id is None:
        return
    recipient = User.objects.filter(pk=booking.user_id).first()
    if recipient is None:
        return
    when = f"{booking.facility.name} {_local(booking.starts_at):%m-%d %H:%M}"
    notification_send(
        recipient=recipient,
        kind=kind,
        title=f"{title}: {when}",
        body=body,
        url=url,
        payload={"booking": booking.pk, "facility": booking.facility_id},
    )


def _notify_status(booking: Booking) -> None:
    if booking.status == BookingStatus.CONFIRMED:
        _notify(booking, "club.booking_confirmed", _("Booking confirmed"))

"""Weekly series (每周固定预约): staff for a home or a guest, residents for their home where the facility
allows it (facility.residents_may_recur; free facilities only, since a resident's paid booking waits for a
payment that an overnight extension could not collect).

series_create books the first occurrence's weekday and time every week from its date through the booking
horizon (and the series' last day, when given), each week through the normal race-proof path
(booking._insert: the cells and the home's quotas by conditional UPDATE). A week that is full, closed or
refused for another reason is skipped and reported, never fatal; a bad first occurrence (off the grid,
outside the opening hours) is a field error. series_extend (a periodic task) books the weeks that come into
the horizon as it moves: `booked_through` is the last week tried, so a week skipped once is not retried.
Cancelling one occurrence is a normal cancel and leaves the rest; series_end cancels the occurrences still
to come and stops the extension."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.ledger import unit_lock
from backend.errors import ApplicationError
from backend.properties.models import Unit
from tenants.db import company_time_zone

from . import booking as engine
from . import money
from .models import LIVE_STATUSES, Booking, BookingSeries, BookingSource, BookingStatus, Facility
from .rules import at_minute, booking_cells, booking_price, local_date

WEEK = dt.timedelta(days=7)


@dataclass
class SeriesResult:
    series: BookingSeries
    booked: list[Booking] = field(default_factory=list)
    skipped: list[tuple[dt.date, str]] = field(default_factory=list)


def _horizon_last_day(facility: Facility, now: dt.datetime) -> dt.date:
    return local_date(now, company_time_zone()) + dt.timedelta(days=facility.horizon_days)


def series_create(
    *,
    facility: Facility,
    by: User,
    starts_at: Any,
    ends_at: Any,
    as_staff: bool,
    party_size: int = 1,
    last_date: dt.date | None = None,
    unit: Unit | None = None,
    guest_name: str = "",
    guest_phone: str = "",
    now: dt.datetime | None = None,
) -> SeriesResult:
    """A weekly series from the first occurrence starts_at–ends_at. Staff (as_staff) for a home in their
    scope or a named guest; a resident (`by`) for a home they live in (`unit`)."""
    now = now or timezone.now()
    guest_name, guest_phone = (guest_name or "").strip(), (guest_phone or "").strip()
    if not as_staff:
        if not facility.residents_may_recur:
            raise ApplicationError(
                _("Only staff can set up a weekly series at this facility."), code="no_series", status=403
            )
        if facility.is_paid:
            raise ApplicationError(
                _("Weekly series of paid facilities are set up by staff."), code="no_series", status=409
            )
        if unit is None:
            raise ApplicationError.for_fields({"unit": [_("Choose the home you book for.")]})
        guest_name = guest_phone = ""
    elif unit is None and not guest_name:
        raise ApplicationError.for_fields({"guest_name": [_("Name the guest, or choose a home.")]})
    if len(guest_name) > 60 or len(guest_phone) > 20:
        raise ApplicationError.for_fields({"guest_name": [_("At most 60 characters (phone: 20).")]})
    if not isinstance(starts_at, dt.datetime) or not isinstance(ends_at, dt.datetime):
        raise ApplicationError.for_fields({"starts_at": [_("Give the start and the end of the booking.")]})
    rules = engine.facility_rules(facility)
    booking_cells(rules, starts_at, ends_at)  # the shape: on the grid, inside the hours (closures: per week)
    if starts_at <= now:
        raise ApplicationError.for_fields({"starts_at": [_("That time has passed.")]})
    first = local_date(starts_at, rules.tz)
    if last_date is not None and last_date < first:
        raise ApplicationError.for_fields({"last_date": [_("The last day cannot be before the first.")]})
    if not as_staff:
        assert unit is not None
        engine._may_book(facility, by, unit, now)
    elif unit is not None:
        engine._unit_may_book(facility, unit, now)
    local_start = starts_at.astimezone(rules.tz)
    with transaction.atomic():
        series = BookingSeries.objects.create(
            facility=facility,
            unit=unit,
            user=None if as_staff else by,
            guest_name="" if unit is not None else guest_name,
            guest_phone=guest_phone,
            weekday=first.weekday(),
            start_minute=local_start.hour * 60 + local_start.minute,
            minutes=int((ends_at - starts_at).total_seconds() // 60),
            party_size=party_size,
            first_date=first,
            last_date=last_date,
            created_by=by,
        )
        audit_record(
            action="club.series_create",
            target=series,
            changes={"facility": facility.pk, "unit": unit.pk if unit else None, "first_date": first.isoformat()},
        )
    result = SeriesResult(series)
    _book_weeks(series, facility, result, as_staff=as_staff, now=now)
    return result


def _book_weeks(
    series: BookingSeries, facility: Facility, result: SeriesResult, *, as_staff: bool, now: dt.datetime
) -> None:
    """Book each week after `booked_through` up to the horizon and the last day; record skipped weeks."""
    last = _horizon_last_day(facility, now)
    if series.last_date is not None:
        last = min(last, series.last_date)
    day = series.booked_through + WEEK if series.booked_through else series.first_date
    tz = company_time_zone()
    while day <= last:
        starts_at = at_minute(day, series.start_minute, tz)
        ends_at = starts_at + dt.timedelta(minutes=series.minutes)
        if starts_at > now:
            try:
                result.booked.append(_book_one(series, facility, starts_at, ends_at, as_staff=as_staff, now=now))
            except ApplicationError as refusal:
                why = _why(refusal)
                result.skipped.append((day, why))
                audit_record(action="club.series_skip", target=series, changes={"day": day.isoformat(), "why": why})
        BookingSeries.objects.filter(pk=series.pk).update(booked_through=day)
        series.booked_through = day
        day += WEEK


def _why(refusal: ApplicationError) -> str:
    """The refusal's own words: its first field message (a field error's message only says "see the fields")."""
    for messages in refusal.fields.values():
        if messages:
            return str(messages[0])
    return refusal.message


def _book_one(
    series: BookingSeries,
    facility: Facility,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    as_staff: bool,
    now: dt.datetime,
) -> Booking:
    unit = series.unit
    with transaction.atomic():
        if as_staff and unit is not None:
            unit_lock(unit.pk)  # the ledger's lock before the cells' (its lines are posted below)
        plan = engine._plan(facility, starts_at, ends_at, series.party_size, now, window=not as_staff)
        if not as_staff and unit is not None and series.user is not None:
            engine._may_book(facility, series.user, unit, now)  # still living there, with a role that may book
        elif unit is not None:
            engine._unit_may_book(facility, unit, now)
        price = booking_price(
            mode=facility.price_mode,
            unit_price=facility.resident_price_fen if unit is not None else facility.guest_price_fen,
            cells=len(plan.cells),
            minutes=plan.minutes,
            party_size=series.party_size,
        )
        status: str
        hold: dt.datetime | None
        if as_staff:
            status, hold = BookingStatus.CONFIRMED, None
        else:
            status, hold = engine._first_status(facility, price + facility.deposit_fen, now)
        booking = engine._insert(
            facility=facility,
            plan=plan,
            unit=unit,
            quota=unit is not None,
            audit_action="club.series_booking",
            user_id=series.user_id,
            guest_name=series.guest_name,
            guest_phone=series.guest_phone,
            starts_at=starts_at,
            ends_at=ends_at,
            party_size=series.party_size,
            status=status,
            hold_expires_at=hold,
            source=BookingSource.SERIES,
            series=series,
            price_fen=price,
            deposit_fen=facility.deposit_fen,
            created_by_id=series.created_by_id,
        )
        if as_staff and unit is not None and booking.total_fen > 0:
            # Staff confirmed it: its fee and deposit are owed on the home's bills (as booking_create_by_staff).
            booking = money.booking_charges_post(booking=booking, by=None, now=now, on_account=True)
        return booking


def series_extend(*, now: dt.datetime | None = None) -> int:
    """Book the weeks that came into the horizon for every active series (the ones whose last day has
    passed end). Returns how many bookings were made."""
    now = now or timezone.now()
    today = local_date(now, company_time_zone())
    BookingSeries.objects.filter(status=BookingSeries.Status.ACTIVE, last_date__lt=today).update(
        status=BookingSeries.Status.ENDED
    )
    made = 0
    for series in BookingSeries.objects.filter(status=BookingSeries.Status.ACTIVE).select_related("facility"):
        facility = series.facility
        if not facility.is_active:
            continue
        result = SeriesResult(series)
        _book_weeks(series, facility, result, as_staff=series.user_id is None, now=now)
        made += len(result.booked)
    return made


def series_end(*, series: BookingSeries, by: User, as_staff: bool, now: dt.datetime | None = None) -> int:
    """End the series: no more weeks, and its occurrences not yet started are cancelled (staff: everything
    paid is due back; a resident's are free). Returns how many were cancelled."""
    now = now or timezone.now()
    if series.status != BookingSeries.Status.ACTIVE:
        raise ApplicationError(_("This series has ended already."), code="invalid_state", status=409)
    today = local_date(now, company_time_zone())
    cancelled = 0
    with transaction.atomic():
        locked = BookingSeries.objects.select_for_update().get(pk=series.pk)
        if locked.status != BookingSeries.Status.ACTIVE:
            raise ApplicationError(_("This series has ended already."), code="invalid_state", status=409)
        locked.status = BookingSeries.Status.ENDED
        locked.last_date = max(locked.first_date, today)
        locked.save(update_fields=["status", "last_date"])
        reason = _("The weekly series was ended.")
        future = Booking.objects.filter(
            series=locked, starts_at__gt=now, status__in=[s for s in LIVE_STATUSES if s in engine.CANCELLABLE]
        ).order_by("starts_at", "id")
        for booking in future:
            engine.booking_cancel_locked(
                booking, by=by, reason=reason, now=now, full=as_staff, action="club.series_booking_cancel"
            )
            cancelled += 1
        audit_record(action="club.series_end", target=locked, changes={"cancelled": cancelled})
    series.refresh_from_db()
    return cancelled

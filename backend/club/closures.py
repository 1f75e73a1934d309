"""Closures (blackouts: maintenance, an event), one-off or weekly. Making one blocks the facility's cells in
the bookable window (so a booking racing with it loses), cancels the live bookings under it with the
closure's reason, records on each what is owed back in full (Booking.refund_due_fen: the money side refunds
it) and notifies each booker (club.facility_closed); all in one transaction. Removing a closure unblocks the
cells it blocked; what it cancelled stays cancelled."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError

from .booking import booking_cancel_locked, facility_rules
from .cells import cells_block
from .models import LIVE_STATUSES, MINUTES_A_DAY, Booking, Closure, Facility
from .realtime import availability_push_on_commit
from .rules import Span, closure_spans, horizon_end, local_date, range_cells


def _clean(
    *,
    kind: str,
    reason: str,
    starts_at: Any,
    ends_at: Any,
    weekday: Any,
    start_minute: Any,
    end_minute: Any,
    first_date: Any,
    last_date: Any,
    now: dt.datetime,
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        errors["reason"] = [_("Say why the facility is closed (at most 200 characters).")]
    if kind == Closure.Kind.ONE_OFF:
        if not isinstance(starts_at, dt.datetime) or starts_at.tzinfo is None:
            errors["starts_at"] = [_("Give the start with its time zone.")]
        if not isinstance(ends_at, dt.datetime) or ends_at.tzinfo is None:
            errors["ends_at"] = [_("Give the end with its time zone.")]
        elif isinstance(starts_at, dt.datetime) and starts_at.tzinfo is not None:
            if not (2000 < starts_at.year < 2100 and 2000 < ends_at.year < 2100):
                errors["starts_at"] = [_("Give a time in this century.")]
            elif ends_at <= starts_at:
                errors["ends_at"] = [_("The end must be after the start.")]
            elif ends_at <= now:
                errors["ends_at"] = [_("That time has passed.")]
        if errors:
            raise ApplicationError.for_fields(errors)
        return {"kind": kind, "reason": reason, "starts_at": starts_at, "ends_at": ends_at}
    if kind != Closure.Kind.WEEKLY:
        raise ApplicationError.for_fields({"kind": [_("One-off or weekly.")]})
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        errors["weekday"] = [_("A weekday from 0 (Monday) to 6 (Sunday).")]
    if not isinstance(start_minute, int) or not isinstance(end_minute, int):
        errors["start_minute"] = [_("Give the times the closure starts and ends.")]
    elif not 0 <= start_minute < end_minute <= MINUTES_A_DAY:
        errors["end_minute"] = [_("The end must be after the start, within the day.")]
    if not isinstance(first_date, dt.date) or not 2000 < first_date.year < 2100:
        errors["first_date"] = [_("Give the first day.")]
    elif last_date is not None and (not isinstance(last_date, dt.date) or last_date < first_date):
        errors["last_date"] = [_("The last day cannot be before the first.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    return {
        "kind": kind,
        "reason": reason,
        "weekday": weekday,
        "start_minute": start_minute,
        "end_minute": end_minute,
        "first_date": first_date,
        "last_date": last_date,
    }


def _window_spans(facility: Facility, closure: Closure, now: dt.datetime) -> tuple[list[Span], list[dt.datetime]]:
    """The closure's occurrences from now to the end of the booking window, and the grid cells they cover."""
    rules = facility_rules(facility)
    first, end = local_date(now, rules.tz), horizon_end(rules, now)
    last = local_date(end - dt.timedelta(seconds=1), rules.tz)
    if closure.starts_at is not None and closure.ends_at is not None:  # one-off
        first = max(first, local_date(closure.starts_at, rules.tz))
        last = min(last, local_date(closure.ends_at - dt.timedelta(seconds=1), rules.tz))
    spans = closure_spans([closure], first, last, rules.tz) if first <= last else []
    cells = [c.starts_at for c in range_cells(rules, first, last, [closure]) if c.closed and c.ends_at > now]
    return spans, cells


def _under(facility: Facility, spans: list[Span], now: dt.datetime) -> QuerySet[Booking]:
    """The live bookings of the facility that overlap any of the spans and are not over."""
    overlaps = Q(pk__in=[])
    for span in spans:
        overlaps |= Q(starts_at__lt=span.ends_at, ends_at__gt=span.starts_at)
    return Booking.objects.filter(overlaps, facility=facility, status__in=LIVE_STATUSES, ends_at__gt=now)


def closure_create(
    *, facility: Facility, by: User | None, kind: str, reason: str, now: dt.datetime | None = None, **when: Any
) -> tuple[Closure, list[Booking]]:
    """Close the facility (one-off: starts_at, ends_at; weekly: weekday, start_minute, end_minute,
    first_date, last_date). Returns the closure and the bookings it cancelled."""
    now = now or timezone.now()
    fields = _clean(
        kind=kind,
        reason=reason,
        starts_at=when.get("starts_at"),
        ends_at=when.get("ends_at"),
        weekday=when.get("weekday"),
        start_minute=when.get("start_minute"),
        end_minute=when.get("end_minute"),
        first_date=when.get("first_date"),
        last_date=when.get("last_date"),
        now=now,
    )
    with transaction.atomic():
        closure = Closure(facility=facility, created_by=by, **fields)
        spans, cells = _window_spans(facility, closure, now)
        closure.blocked_cells = cells
        closure.save()
        # The bookings under it first (a cancel in flight locks its booking, then its cells: taking the cells
        # first would wait for it while it waits for them), then the cells: a booking of these cells from now
        # on waits for this transaction and finds them blocked. The bookings are read again after the block,
        # for any that committed in between.
        list(_under(facility, spans, now).select_for_update().order_by("pk").values_list("pk", flat=True))
        left = cells_block(facility_id=facility.pk, capacity=facility.capacity, cells=cells, delta=1)
        cancelled: list[Booking] = []
        for booking in _under(facility, spans, now).order_by("starts_at", "pk"):
            cancelled.append(
                booking_cancel_locked(
                    booking,
                    by=by,
                    reason=fields["reason"],
                    now=now,
                    full=True,
                    action="club.booking_cancel_closure",
                    kind="club.facility_closed",
                )
            )
        audit_record(
            action="club.closure_create",
            target=closure,
            changes={
                "facility": facility.pk,
                **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in fields.items()},
                "cancelled": [b.pk for b in cancelled],
                "refund_due_fen": sum(b.refund_due_fen for b in cancelled),
            },
        )
        availability_push_on_commit(facility.pk, [(c, 0) for c, _left in left])
    return closure, cancelled


def closure_delete(*, closure: Closure, by: User | None) -> None:
    """Lift a closure: its blocked cells take bookings again (the cancelled bookings stay cancelled)."""
    facility = closure.facility
    with transaction.atomic():
        locked = Closure.objects.select_for_update().filter(pk=closure.pk).first()
        if locked is None:
            return
        left = cells_block(
            facility_id=facility.pk, capacity=facility.capacity, cells=list(locked.blocked_cells), delta=-1
        )
        audit_record(action="club.closure_delete", target=locked, changes={"facility": facility.pk})
        locked.delete()
        availability_push_on_commit(facility.pk, left)


def closure_affected(
    *, facility: Facility, kind: str, reason: str, now: dt.datetime | None = None, **when: Any
) -> list[Booking]:
    """The live bookings closure_create would cancel with these values, read only (the pages show them before
    the manager confirms). Raises the same field errors as closure_create."""
    now = now or timezone.now()
    fields = _clean(
        kind=kind,
        reason=reason,
        starts_at=when.get("starts_at"),
        ends_at=when.get("ends_at"),
        weekday=when.get("weekday"),
        start_minute=when.get("start_minute"),
        end_minute=when.get("end_minute"),
        first_date=when.get("first_date"),
        last_date=when.get("last_date"),
        now=now,
    )
    spans, _cells = _window_spans(facility, Closure(facility=facility, **fields), now)
    return list(_under(facility, spans, now).select_related("unit").order_by("starts_at", "pk"))

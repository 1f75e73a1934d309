"""Availability: the places left in every cell of a facility's day or week, from a constant number of
queries whatever the number of bookings or cells: the opening hours (none when prefetched), the closures
touching the days, and the counter rows (SlotCell) of the range. Bookings themselves are never read: the
counters hold what they take. The cells come from rules.py, as for booking, so the grid and the engine agree.

Each cell has a state: open, full, closed (a closure or a class holds it), past, too_soon (inside the
minimum notice) or not_yet (beyond the booking window)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from tenants.db import company_time_zone

from .models import Closure, Facility, SlotCell
from .rules import days, horizon_end, midnight, range_cells, rules_of

MAX_DAYS = 31


@dataclass(frozen=True)
class GridCell:
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    taken: int
    left: int
    state: str
    closed_reason: str = ""


@dataclass
class GridDay:
    date: dt.date
    cells: list[GridCell] = field(default_factory=list)


@dataclass
class Grid:
    facility_id: int
    first: dt.date
    last: dt.date
    cell_minutes: int
    days: list[GridDay]


def closures_between(facility_id: int, first: dt.date, last: dt.date, tz: dt.tzinfo) -> list[Closure]:
    """The facility's closures that may touch the days first..last (one query)."""
    lo, hi = midnight(first, tz), midnight(last + dt.timedelta(days=1), tz)  # type: ignore[arg-type]
    one_off = Q(kind=Closure.Kind.ONE_OFF, starts_at__lt=hi, ends_at__gt=lo)
    weekly = Q(kind=Closure.Kind.WEEKLY, first_date__lte=last) & (Q(last_date__isnull=True) | Q(last_date__gte=first))
    return list(Closure.objects.filter(one_off | weekly, facility_id=facility_id))


def availability(*, facility: Facility, first: dt.date, days_count: int = 1, now: dt.datetime | None = None) -> Grid:
    """The grid of `days_count` days from `first` (1 for a day, 7 for a week; at most MAX_DAYS)."""
    now = now or timezone.now()
    days_count = max(1, min(days_count, MAX_DAYS))
    last = first + dt.timedelta(days=days_count - 1)
    tz = company_time_zone()
    rules = rules_of(facility, facility.opening_hours.all(), tz)
    specs = range_cells(rules, first, last, closures_between(facility.pk, first, last, tz))
    counters = {}
    if specs:
        rows = SlotCell.objects.filter(
            facility_id=facility.pk, starts_at__gte=specs[0].starts_at, starts_at__lte=specs[-1].starts_at
        ).values_list("starts_at", "capacity", "taken", "blocks")
        counters = {row[0]: row[1:] for row in rows}
    notice = now + dt.timedelta(minutes=facility.min_notice_minutes)
    window_end = horizon_end(rules, now)
    by_day = {day: GridDay(day) for day in days(first, last)}
    for spec in specs:
        capacity, taken, blocks = counters.get(spec.starts_at, (facility.capacity, 0, 0))
        closed = bool(spec.closed) or blocks > 0
        left = 0 if closed else max(0, capacity - taken)
        if spec.starts_at <= now:
            state = "past"
        elif closed:
            state = "closed"
        elif spec.starts_at >= window_end:
            state = "not_yet"
        elif left == 0:
            state = "full"
        elif spec.starts_at < notice:
            state = "too_soon"
        else:
            state = "open"
        cell = GridCell(spec.starts_at, spec.ends_at, capacity, taken, left, state, spec.closed)
        by_day[spec.starts_at.astimezone(tz).date()].cells.append(cell)
    return Grid(facility.pk, first, last, facility.cell_minutes, list(by_day.values()))


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())

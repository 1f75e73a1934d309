"""Availability: the places left in every cell of a facility's day or week, from a constant number of
queries whatever the number of bookings or cells: the opening hours (none when prefetched), the closures
touching the days, and the counter rows (SlotCell) of the range (the last two in plain SQL: this is the
hottest read of the club). Bookings themselves are never read: the
counters hold what they take. The cells come from rules.py, as for booking, so the grid and the engine agree.

Each cell has a state: open, full, closed (a closure or a class holds it), past, too_soon (inside the
minimum notice) or not_yet (beyond the booking window)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils import timezone

from tenants.db import company_time_zone, connection

from .models import Facility
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


@dataclass(frozen=True)
class ClosureRow:
    """What rules.py reads of a Closure."""

    kind: str
    reason: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    weekday: int | None
    start_minute: int | None
    end_minute: int | None
    first_date: dt.date | None
    last_date: dt.date | None


_CLOSURES = """
SELECT kind, reason, starts_at, ends_at, weekday, start_minute, end_minute, first_date, last_date
FROM club_closure
WHERE facility_id = %(f)s
  AND ((kind = 'one_off' AND starts_at < %(hi)s AND ends_at > %(lo)s)
       OR (kind = 'weekly' AND first_date <= %(last)s AND (last_date IS NULL OR last_date >= %(first)s)))
"""
_COUNTERS = """
SELECT starts_at, capacity, taken, blocks FROM club_slotcell
WHERE facility_id = %(f)s AND starts_at >= %(lo)s AND starts_at <= %(hi)s
"""


def closures_between(facility_id: int, first: dt.date, last: dt.date, tz: ZoneInfo) -> list[ClosureRow]:
    """The facility's closures that may touch the days first..last (one query)."""
    lo, hi = midnight(first, tz), midnight(last + dt.timedelta(days=1), tz)
    with connection.cursor() as cursor:
        cursor.execute(_CLOSURES, {"f": facility_id, "lo": lo, "hi": hi, "first": first, "last": last})
        return [ClosureRow(*row) for row in cursor.fetchall()]


def availability(*, facility: Facility, first: dt.date, days_count: int = 1, now: dt.datetime | None = None) -> Grid:
    """The grid of `days_count` days from `first` (1 for a day, 7 for a week; at most MAX_DAYS)."""
    now = now or timezone.now()
    days_count = max(1, min(days_count, MAX_DAYS))
    last = first + dt.timedelta(days=days_count - 1)
    tz = company_time_zone()
    rules = rules_of(facility, facility.opening_hours.all(), tz)
    specs = range_cells(rules, first, last, closures_between(facility.pk, first, last, tz))
    counters: dict[dt.datetime, tuple[int, int, int]] = {}
    if specs:
        with connection.cursor() as cursor:
            cursor.execute(_COUNTERS, {"f": facility.pk, "lo": specs[0].starts_at, "hi": specs[-1].starts_at})
            counters = {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}
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

"""The facility's time, computed: which cells a day has (from the opening hours of its weekday, several ranges
a day for breaks), which of them a closure covers, whether a requested booking fits (aligned to the cells,
inside one opening range, the slot or the free-length rules, the booking window) and what it costs.

Pure: no database access. Callers hand in what they loaded (a Facility with its opening hours and closures,
or the Rules built from them), so the availability grid and the booking engine agree by construction.

Times of day are minutes after local midnight in the company's time zone; a day's cells are counted from
each opening range's start (06:30 opens, 60-minute slots: 06:30, 07:30, …)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from backend.errors import ApplicationError

from .models import MINUTES_A_DAY, BookingMode, PriceMode


@dataclass(frozen=True)
class Rules:
    """What the computation needs of a facility."""

    cell_minutes: int
    mode: str
    min_minutes: int
    max_minutes: int
    horizon_days: int
    min_notice_minutes: int
    tz: ZoneInfo
    # weekday (Monday = 0) → [(opens, closes)] in minutes, sorted
    hours: dict[int, tuple[tuple[int, int], ...]]


@dataclass(frozen=True)
class Span:
    """A closed period (one occurrence of a closure) with its reason."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str


@dataclass(frozen=True)
class CellSpec:
    starts_at: dt.datetime
    ends_at: dt.datetime
    closed: str  # the closure's reason, or "" when open


def rules_of(facility: Any, hours: Iterable[Any], tz: ZoneInfo) -> Rules:
    """Rules from a Facility and its OpeningHours rows (attributes only)."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for h in hours:
        by_day.setdefault(int(h.weekday), []).append((int(h.opens), int(h.closes)))
    return Rules(
        cell_minutes=int(facility.cell_minutes),
        mode=str(facility.booking_mode),
        min_minutes=int(facility.min_minutes),
        max_minutes=int(facility.max_minutes),
        horizon_days=int(facility.horizon_days),
        min_notice_minutes=int(facility.min_notice_minutes),
        tz=tz,
        hours={d: tuple(sorted(r)) for d, r in by_day.items()},
    )


def midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz)


def at_minute(day: dt.date, minute: int, tz: ZoneInfo) -> dt.datetime:
    """The instant `minute` minutes of wall time after the day's local midnight, in UTC."""
    return (midnight(day, tz) + dt.timedelta(minutes=minute)).astimezone(dt.UTC)


def local_date(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    return moment.astimezone(tz).date()


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


# --- closures -----------------------------------------------------------------------------------------


def closure_spans(closures: Iterable[Any], first: dt.date, last: dt.date, tz: ZoneInfo) -> list[Span]:
    """Every occurrence of the closures (Closure rows, attributes only) that touches the days first..last."""
    lo, hi = midnight(first, tz), midnight(last + dt.timedelta(days=1), tz)
    spans = []
    for c in closures:
        if c.kind == "one_off":
            if c.starts_at < hi and c.ends_at > lo:
                spans.append(Span(c.starts_at, c.ends_at, c.reason))
            continue
        for day in days(first, last):
            if day.weekday() != c.weekday or day < c.first_date or (c.last_date and day > c.last_date):
                continue
            spans.append(Span(at_minute(day, c.start_minute, tz), at_minute(day, c.end_minute, tz), c.reason))
    return sorted(spans, key=lambda s: s.starts_at)


def closed_by(spans: Sequence[Span], starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """The reason of the first span overlapping [starts_at, ends_at), or ""."""
    for span in spans:
        if span.starts_at < ends_at and span.ends_at > starts_at:
            return span.reason or _("Closed")
    return ""


# --- cells --------------------------------------------------------------------------------------------


def day_cells(rules: Rules, day: dt.date, spans: Sequence[Span] = ()) -> list[CellSpec]:
    """The cells of one day, in order, each marked with the closure that covers it. A range opens at its
    wall-clock time and is cut into cells of elapsed time, so a daylight-saving change never makes two cells
    of one instant (zones such as Asia/Shanghai have none)."""
    cells = []
    step = dt.timedelta(minutes=rules.cell_minutes)
    for open_at, close_at in _ranges(rules, day):
        start = open_at
        while start + step <= close_at:
            cells.append(CellSpec(start, start + step, closed_by(spans, start, start + step)))
            start += step
    return cells


def _ranges(rules: Rules, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(at_minute(day, o, rules.tz), at_minute(day, c, rules.tz)) for o, c in rules.hours.get(day.weekday(), ())]


def range_cells(rules: Rules, first: dt.date, last: dt.date, closures: Iterable[Any] = ()) -> list[CellSpec]:
    spans = closure_spans(closures, first, last, rules.tz)
    return [cell for day in days(first, last) for cell in day_cells(rules, day, spans)]


def cell_starts(starts_at: dt.datetime, ends_at: dt.datetime, cell_minutes: int) -> list[dt.datetime]:
    """The cells a booking from starts_at to ends_at holds (its own grain, as stored on the booking)."""
    step = dt.timedelta(minutes=cell_minutes)
    out, t = [], starts_at
    while t < ends_at:
        out.append(t)
        t += step
    return out


def booking_cells(
    rules: Rules, starts_at: dt.datetime, ends_at: dt.datetime, closures: Iterable[Any] = ()
) -> list[dt.datetime]:
    """The cells (their start instants, UTC) a booking from starts_at to ends_at takes; an ApplicationError
    naming the field when it does not fit the facility's time."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ApplicationError.for_fields({"starts_at": [_("Give the time with its time zone.")]})
    if ends_at <= starts_at:
        raise ApplicationError.for_fields({"ends_at": [_("The end must be after the start.")]})
    day = local_date(starts_at, rules.tz)
    if ends_at > at_minute(day, MINUTES_A_DAY, rules.tz):
        raise ApplicationError.for_fields({"ends_at": [_("A booking starts and ends on the same day.")]})
    opening = next(((o, c) for o, c in _ranges(rules, day) if o <= starts_at and ends_at <= c), None)
    if opening is None:
        raise ApplicationError.for_fields({"starts_at": [_("The facility is not open for all of that time.")]})
    offset, length = _minutes(starts_at - opening[0]), _minutes(ends_at - starts_at)
    step = rules.cell_minutes
    if offset is None or length is None or offset % step or length % step:
        raise ApplicationError.for_fields(
            {"starts_at": [_("Bookings start and end on the facility's %(n)d-minute grid.") % {"n": step}]}
        )
    if rules.mode == BookingMode.SLOT and length != step:
        raise ApplicationError.for_fields({"ends_at": [_("A booking is one slot of %(n)d minutes.") % {"n": step}]})
    if rules.mode == BookingMode.FREE and not rules.min_minutes <= length <= rules.max_minutes:
        raise ApplicationError.for_fields(
            {
                "ends_at": [
                    _("A booking lasts from %(min)d to %(max)d minutes.")
                    % {"min": rules.min_minutes, "max": rules.max_minutes}
                ]
            }
        )
    starts = cell_starts(starts_at.astimezone(dt.UTC), ends_at.astimezone(dt.UTC), step)
    reason = closed_by(closure_spans(closures, day, day, rules.tz), starts_at, ends_at)
    if reason:
        raise ApplicationError.for_fields({"starts_at": [_("The facility is closed then: %(r)s") % {"r": reason}]})
    return starts


def _minutes(delta: dt.timedelta) -> int | None:
    seconds = delta.total_seconds()
    return int(seconds // 60) if seconds % 60 == 0 else None


def window_check(rules: Rules, starts_at: dt.datetime, now: dt.datetime) -> None:
    """The booking window: not in the past, at least the minimum notice ahead, within the horizon (days)."""
    if starts_at <= now:
        raise ApplicationError.for_fields({"starts_at": [_("That time has passed.")]})
    if starts_at < now + dt.timedelta(minutes=rules.min_notice_minutes):
        raise ApplicationError.for_fields(
            {"starts_at": [_("Book at least %(n)d minutes ahead.") % {"n": rules.min_notice_minutes}]}
        )
    if local_date(starts_at, rules.tz) > local_date(now, rules.tz) + dt.timedelta(days=rules.horizon_days):
        raise ApplicationError.for_fields(
            {"starts_at": [_("Bookings open %(n)d days ahead.") % {"n": rules.horizon_days}]}
        )


def horizon_end(rules: Rules, now: dt.datetime) -> dt.datetime:
    """The first instant beyond the booking window (the midnight after its last day)."""
    return midnight(local_date(now, rules.tz) + dt.timedelta(days=rules.horizon_days + 1), rules.tz)


# --- quotas and price ---------------------------------------------------------------------------------


def period_starts(day: dt.date) -> dict[str, dt.date]:
    """The day, ISO week (Monday) and month a booking starting on `day` counts in."""
    return {"day": day, "week": day - dt.timedelta(days=day.weekday()), "month": day.replace(day=1)}


def booking_price(*, mode: str, unit_price: int, cells: int, minutes: int, party_size: int) -> int:
    """Fen. Per slot: each cell; per hour: the minutes, rounded half up to the fen; per person: each person
    of the party, once per booking."""
    if mode == PriceMode.PER_SLOT:
        return unit_price * cells
    if mode == PriceMode.PER_HOUR:
        return (unit_price * minutes + 30) // 60
    if mode == PriceMode.PER_PERSON:
        return unit_price * party_size
    return 0

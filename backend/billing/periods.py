"""Billing periods. Every period starts on the first of a month; quarterly items bill in January, April,
July and October, yearly items in January, each covering the months up to the next."""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils import timezone

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def local_day_bounds(first: dt.date, last: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Company-local days `first`..`last` (both included; `last` defaults to `first`) as an aware
    [start, end) pair in the current (the company's) time zone, for filtering timestamps by day."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine((last or first) + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_end(day: dt.date) -> dt.date:
    return add_months(month_start(day), 1) - dt.timedelta(days=1)


def item_period(cycle: str, period: dt.date) -> tuple[dt.date, dt.date] | None:
    """The (first day, last day) an item of `cycle` bills in the run for month `period`, or None when the
    item does not bill that month."""
    months = CYCLE_MONTHS.get(cycle)
    if months is None:
        return None
    if (period.month - 1) % months:
        return None
    return period, add_months(period, months) - dt.timedelta(days=1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    out = []
    m = month_start(start)
    while m <= end:
        out.append(m)
        m = add_months(m, 1)
    return out


def due_date_for(period_start: dt.date, due_day: int) -> dt.date:
    return period_start.replace(day=min(due_day, calendar.monthrange(period_start.year, period_start.month)[1]))


def parse_period(text: str) -> dt.date:
    """'2026-07' (or '2026-07-01') → date(2026, 7, 1); ValueError otherwise."""
    text = (text or "").strip()
    try:
        if len(text) == 7:
            return dt.datetime.strptime(text, "%Y-%m").date()
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("Enter a month as YYYY-MM.") from None
    if day.day != 1:
        raise ValueError("A period starts on the first of a month.")
    return day

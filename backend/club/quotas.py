"""Per-unit quotas of a facility (bookings and minutes per day, ISO week and month), as counters guarded by
the database: one row per (facility, unit, period, start), taken by a conditional UPDATE and held within its
limits by a CHECK constraint, so concurrent bookings of one home can never pass its quota.

A booking counts in the periods of its start, in the company's time zone. A limit of 0 means none (the row
stores a large number instead, so the CHECK holds without a special case); periods without any limit keep no
row at all. Changing a limit applies to the next booking: rows take the current limits on every take."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from tenants.db import connection

from .errors import QuotaReached
from .models import UNLIMITED, QuotaCounter, QuotaPeriod
from .rules import period_starts

PERIODS = (QuotaPeriod.DAY, QuotaPeriod.WEEK, QuotaPeriod.MONTH)

_ENSURE = """
INSERT INTO club_quotacounter (facility_id, unit_id, period, period_start, bookings, minutes, max_bookings, max_minutes)
VALUES (%s, %s, %s, %s, 0, 0, %s, %s)
ON CONFLICT (facility_id, unit_id, period, period_start) DO NOTHING
"""
_TAKE = """
UPDATE club_quotacounter
SET bookings = bookings + 1, minutes = minutes + %(m)s, max_bookings = %(mb)s, max_minutes = %(mm)s
WHERE facility_id = %(f)s AND unit_id = %(u)s AND period = %(p)s AND period_start = %(s)s
  AND bookings + 1 <= %(mb)s AND minutes + %(m)s <= %(mm)s
"""
_RELEASE = """
UPDATE club_quotacounter SET bookings = bookings - 1, minutes = minutes - %(m)s
WHERE facility_id = %(f)s AND unit_id = %(u)s AND period = %(p)s AND period_start = %(s)s
  AND bookings >= 1 AND minutes >= %(m)s
"""


def quota_limits(facility: Any) -> dict[str, tuple[int, int]]:
    """period → (max bookings, max minutes) for the periods the facility limits (0 = none)."""
    limits: dict[str, tuple[int, int]] = {}
    for period in PERIODS:
        bookings = int(getattr(facility, f"quota_bookings_{period}") or 0)
        minutes = int(getattr(facility, f"quota_minutes_{period}") or 0)
        if bookings or minutes:
            limits[period] = (bookings or UNLIMITED, minutes or UNLIMITED)
    return limits


def _refusal(facility: Any, period: str) -> str:
    bookings = int(getattr(facility, f"quota_bookings_{period}") or 0)
    minutes = int(getattr(facility, f"quota_minutes_{period}") or 0)
    when = {"day": _("that day"), "week": _("that week"), "month": _("that month")}[period]
    parts = []
    if bookings:
        parts.append(_("%(n)d bookings") % {"n": bookings})
    if minutes:
        parts.append(_("%(h)s hours") % {"h": f"{minutes / 60:g}"})
    return _("This home has used its quota of %(limit)s at %(facility)s %(when)s.") % {
        "limit": _(" or ").join(parts),
        "facility": facility.name,
        "when": when,
    }


def quota_take(*, facility: Any, unit_id: int, day: dt.date, minutes: int) -> list[str]:
    """Count one booking of `minutes` starting on (local) `day`; QuotaReached when a period's limit would be
    passed. Call inside the booking's transaction: a refusal rolls back what earlier periods took. Returns
    the periods counted (stored on the booking, for its release)."""
    limits = quota_limits(facility)
    starts = period_starts(day)
    counted: list[str] = []
    with connection.cursor() as cursor:
        for period in PERIODS:  # always in this order, so two bookings of one home lock rows alike
            if period not in limits:
                continue
            max_bookings, max_minutes = limits[period]
            cursor.execute(_ENSURE, [facility.pk, unit_id, period, starts[period], max_bookings, max_minutes])
            params = {
                "f": facility.pk,
                "u": unit_id,
                "p": period,
                "s": starts[period],
                "m": minutes,
                "mb": max_bookings,
                "mm": max_minutes,
            }
            cursor.execute(_TAKE, params)
            if cursor.rowcount != 1:
                raise QuotaReached(_refusal(facility, period))
            counted.append(period)
    return counted


def quota_release(*, facility_id: int, unit_id: int, day: dt.date, minutes: int, periods: list[str]) -> None:
    """Give back what quota_take counted in `periods` (a cancelled, rejected, expired or released booking)."""
    starts = period_starts(day)
    with connection.cursor() as cursor:
        for period in [p for p in PERIODS if p in periods]:
            cursor.execute(_RELEASE, {"f": facility_id, "u": unit_id, "p": period, "s": starts[period], "m": minutes})


def quota_usage(*, facility: Any, unit_id: int, day: dt.date) -> dict[str, dict[str, int]]:
    """What the unit used and may use in each limited period around `day` (for the booking page)."""
    limits = quota_limits(facility)
    starts = period_starts(day)
    rows = {
        (r.period, r.period_start): r
        for r in QuotaCounter.objects.filter(
            facility_id=facility.pk, unit_id=unit_id, period__in=list(limits), period_start__in=set(starts.values())
        )
    }
    usage = {}
    for period, (max_bookings, max_minutes) in limits.items():
        row = rows.get((period, starts[period]))
        usage[period] = {
            "bookings": row.bookings if row else 0,
            "minutes": row.minutes if row else 0,
            "max_bookings": 0 if max_bookings == UNLIMITED else max_bookings,
            "max_minutes": 0 if max_minutes == UNLIMITED else max_minutes,
        }
    return usage

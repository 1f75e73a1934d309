"""Club reports for the staff who run the club and for finance: how full the facilities are (a weekday × hour
heat map of utilisation), what they earn (fees by facility and month, net of refunds) and how often people
do not come (no-show rate by facility and month).

Utilisation is places taken over places offered, in place-minutes: the offered cells come from the opening
hours and closures (rules.py, as for booking; a closed cell offers nothing), the taken ones from the slot
counters (a cell a class session holds counts as fully used). Bookings are not read for it, so three months
of a busy club is one counter query per facility. Income and no-shows are one grouped query over bookings.
Months and hours are the company's; the range ends today (the future has not been used yet)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from backend.billing.periods import add_months
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from tenants.db import company_time_zone, connection

from .availability import closures_between
from .models import BookingStatus, Facility
from .rules import local_date, midnight, range_cells, rules_of
from .selectors import facility_list

MAX_MONTHS = 12
DIGITS = re.compile(r"[0-9]+")
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")

_COUNTERS = """
SELECT starts_at, capacity, taken, blocks FROM club_slotcell
WHERE facility_id = %(f)s AND starts_at >= %(lo)s AND starts_at < %(hi)s
"""

_BOOKINGS = """
SELECT facility_id,
       date_trunc('month', starts_at AT TIME ZONE %(tz)s)::date AS month,
       COUNT(*) FILTER (WHERE status = ANY(%(used)s)) AS bookings,
       COALESCE(SUM(price_fen) FILTER (WHERE paid_at IS NOT NULL), 0) AS fees,
       COALESCE(SUM(GREATEST(refund_due_fen - deposit_fen, 0)) FILTER (WHERE refunded_at IS NOT NULL), 0)
         AS refunded,
       COUNT(*) FILTER (WHERE status = 'checked_in') AS checked_in,
       COUNT(*) FILTER (WHERE status = 'no_show') AS no_shows
FROM club_booking
WHERE facility_id = ANY(%(ids)s) AND starts_at >= %(lo)s AND starts_at < %(hi)s
GROUP BY 1, 2
"""

# Bookings that were (or are) going to happen: what "bookings" counts in the income table.
USED = [
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.NO_SHOW,
    BookingStatus.HELD,
    BookingStatus.PENDING,
    BookingStatus.OFFERED,
]


@dataclass(frozen=True)
class ReportQuery:
    first_month: dt.date  # the first day of the first month
    months: int
    facility_id: int | None = None

    @property
    def last_month(self) -> dt.date:
        return add_months(self.first_month, self.months - 1)

    def params(self, **override: Any) -> dict[str, str]:
        values = {"from": f"{self.first_month:%Y-%m}", "months": str(self.months)}
        if self.facility_id:
            values["facility"] = str(self.facility_id)
        values.update({k: str(v) for k, v in override.items() if v not in (None, "")})
        return values


@dataclass
class HeatCell:
    offered: int = 0  # place-minutes
    taken: int = 0

    @property
    def percent(self) -> int | None:
        return None if not self.offered else round(100 * self.taken / self.offered)


@dataclass
class Heat:
    """Utilisation by weekday (0 = Monday) and hour of the day, over the hours any facility opens."""

    hours: list[int]
    rows: list[list[HeatCell]]  # rows[weekday][i] for hours[i]
    offered: int = 0
    taken: int = 0

    @property
    def percent(self) -> int | None:
        return None if not self.offered else round(100 * self.taken / self.offered)


@dataclass
class MonthFigures:
    month: dt.date
    bookings: int = 0
    fees: int = 0  # fen, fees of paid bookings
    refunded: int = 0  # fen, fees given back (deposits are not income and not counted)
    checked_in: int = 0
    no_shows: int = 0

    @property
    def income(self) -> int:
        return self.fees - self.refunded

    @property
    def no_show_percent(self) -> int | None:
        attended = self.checked_in + self.no_shows
        return None if not attended else round(100 * self.no_shows / attended)

    def add(self, other: MonthFigures) -> None:
        self.bookings += other.bookings
        self.fees += other.fees
        self.refunded += other.refunded
        self.checked_in += other.checked_in
        self.no_shows += other.no_shows


@dataclass
class FacilityRow:
    facility_id: int
    name: str
    estate: str
    months: list[MonthFigures]
    total: MonthFigures
    utilisation: int | None = None


@dataclass
class ClubReport:
    query: ReportQuery
    facilities: list[tuple[int, str]]  # every facility of the scope, for the filter
    rows: list[FacilityRow]
    months: list[MonthFigures]  # totals per month over the rows
    total: MonthFigures
    heat: Heat
    until: dt.date  # the last day counted (today, or the range's end)
    extra: dict[str, Any] = field(default_factory=dict)


def parse_query(params: Any, *, today: dt.date) -> ReportQuery:
    """?from=YYYY-MM&months=N&facility=ID; defaults: the last three months up to this one."""
    errors: dict[str, list[str]] = {}
    months_raw = str(params.get("months") or "3")
    months = int(months_raw) if DIGITS.fullmatch(months_raw) and len(months_raw) < 4 else 0
    if not 1 <= months <= MAX_MONTHS:
        errors["months"] = [_("Between 1 and %(n)d months.") % {"n": MAX_MONTHS}]
        months = 3
    raw = str(params.get("from") or "")
    if raw:
        try:
            first = dt.date.fromisoformat(f"{raw}-01") if MONTH.fullmatch(raw) else None
        except ValueError:
            first = None
        if first is None or not 2000 <= first.year <= 2100:
            errors["from"] = [_('Enter a month as "YYYY-MM".')]
            first = today.replace(day=1)
    else:
        first = add_months(today.replace(day=1), -(months - 1))
    facility_raw = str(params.get("facility") or "")
    facility_id = int(facility_raw) if DIGITS.fullmatch(facility_raw) and len(facility_raw) < 10 else None
    if facility_raw and facility_id is None:
        errors["facility"] = [_("Choose a facility from the list.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    return ReportQuery(first_month=first, months=months, facility_id=facility_id)


def club_report(*, scope: Scope, query: ReportQuery, now: dt.datetime | None = None) -> ClubReport:
    """The report over the facilities of the caller's scope (or the one chosen). A facility outside the scope
    is refused like one that does not exist."""
    now = now or timezone.now()
    tz = company_time_zone()
    today = local_date(now, tz)
    visible = list(facility_list(scope=scope).prefetch_related("opening_hours"))
    chosen = [f for f in visible if query.facility_id in (None, f.pk)]
    if query.facility_id is not None and not chosen:
        raise ApplicationError.for_fields({"facility": [_("Choose a facility from the list.")]})
    first = query.first_month
    end = add_months(query.last_month, 1)  # the day after the range
    until = min(end - dt.timedelta(days=1), today)
    month_list = [add_months(first, i) for i in range(query.months)]
    by_facility: dict[int, dict[dt.date, MonthFigures]] = {f.pk: {} for f in chosen}
    if chosen:
        with connection.cursor() as cursor:
            cursor.execute(
                _BOOKINGS,
                {
                    "tz": str(tz),
                    "used": [str(s) for s in USED],
                    "ids": [f.pk for f in chosen],
                    "lo": midnight(first, tz),
                    "hi": midnight(end, tz),
                },
            )
            for facility_id, month, bookings, fees, refunded, checked_in, no_shows in cursor.fetchall():
                by_facility[facility_id][month] = MonthFigures(
                    month, bookings, int(fees), int(refunded), checked_in, no_shows
                )
    heat = Heat(hours=[], rows=[])
    cells: dict[tuple[int, int], HeatCell] = {}
    rows: list[FacilityRow] = []
    totals = {m: MonthFigures(m) for m in month_list}
    grand = MonthFigures(first)
    for facility in chosen:
        offered, taken = _utilisation(facility, first, until, tz, cells) if until >= first else (0, 0)
        heat.offered += offered
        heat.taken += taken
        months = [by_facility[facility.pk].get(m, MonthFigures(m)) for m in month_list]
        total = MonthFigures(first)
        for m in months:
            total.add(m)
            totals[m.month].add(m)
        grand.add(total)
        rows.append(
            FacilityRow(
                facility.pk,
                facility.name,
                facility.estate.name,
                months,
                total,
                None if not offered else round(100 * taken / offered),
            )
        )
    hours = sorted({hour for _, hour in cells})
    heat.hours = hours
    heat.rows = [[cells.get((wd, h), HeatCell()) for h in hours] for wd in range(7)]
    return ClubReport(
        query=query,
        facilities=[(f.pk, f.name) for f in visible],
        rows=rows,
        months=[totals[m] for m in month_list],
        total=grand,
        heat=heat,
        until=until,
    )


def _utilisation(
    facility: Facility, first: dt.date, last: dt.date, tz: Any, cells: dict[tuple[int, int], HeatCell]
) -> tuple[int, int]:
    """Add the facility's offered and taken place-minutes per (weekday, hour) into `cells`; return its totals."""
    rules = rules_of(facility, facility.opening_hours.all(), tz)
    specs = range_cells(rules, first, last, closures_between(facility.pk, first, last, tz))
    counters: dict[dt.datetime, tuple[int, int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            _COUNTERS, {"f": facility.pk, "lo": midnight(first, tz), "hi": midnight(last + dt.timedelta(days=1), tz)}
        )
        counters = {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}
    offered = taken = 0
    for spec in specs:
        if spec.closed:
            continue
        capacity, used, blocks = counters.get(spec.starts_at, (facility.capacity, 0, 0))
        minutes = int((spec.ends_at - spec.starts_at).total_seconds() // 60)
        used = capacity if blocks > 0 else min(used, capacity)
        local = spec.starts_at.astimezone(tz)
        cell = cells.setdefault((local.weekday(), local.hour), HeatCell())
        cell.offered += capacity * minutes
        cell.taken += used * minutes
        offered += capacity * minutes
        taken += used * minutes
    return offered, taken

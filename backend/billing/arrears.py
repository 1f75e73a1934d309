"""欠费: what units really owe past the due date, aged; and the sanctions selector other modules ask.

"Really unpaid" (以免误催) means the derived `owed` of a bill line (charged − waived − settled + unsettled,
selectors.lines_with_balances) on lines whose due date has passed: waived and paid parts are out, and so is
whatever the prepaid balance already settled (the ledger settles it when bills are issued). Everything here
is computed in SQL with aggregates — one statement for a page of units with their totals — so the work list
stays fast at 100,000 lines.

Aging (账龄) puts each unpaid line in a bucket by its own days past due (today − due date):
0–30, 31–90, 91–180 and 180+ days. A unit's "days overdue" is that of its oldest unpaid line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from backend.properties.models import Unit
from backend.properties.scope import Scope
from tenants.db import company_time_zone, connection

from .models import BillingSettings, BillLine, DunningContact, Sanction
from .selectors import lines_with_balances

BUCKETS = ("0-30", "31-90", "91-180", "180+")
BUCKET_LABELS = {"0-30": "0–30", "31-90": "31–90", "91-180": "91–180", "180+": "180+"}
# Days after a contact before the unit is due for follow-up (DOMAIN.md §4): unreachable and away daily,
# a promise the day after the promised date, anything else every FOLLOW_UP_DAYS days.
FOLLOW_UP_DAYS = 5
ORDERINGS = {
    "-amount": "amount DESC, unit_id",
    "amount": "amount ASC, unit_id",
    "-days": "oldest_due ASC, amount DESC, unit_id",
    "days": "oldest_due DESC, amount DESC, unit_id",
    "unit": "unit_label, unit_id",
    "follow_up": "next_follow_up ASC NULLS FIRST, amount DESC, unit_id",
}


def bucket_of(days: int) -> str:
    if days <= 30:
        return "0-30"
    if days <= 90:
        return "31-90"
    if days <= 180:
        return "91-180"
    return "180+"


@dataclass(frozen=True)
class ArrearsFilters:
    office_id: int | None = None
    estate_id: int | None = None
    building_id: int | None = None
    unit_id: int | None = None
    fee_item_id: int | None = None
    min_amount: int | None = None  # fen
    bucket: str = ""  # by the unit's oldest unpaid line
    follow_up_due: bool = False


@dataclass
class ArrearsRow:
    unit_id: int
    amount: int
    lines: int
    oldest_period: dt.date
    oldest_due: dt.date
    days_overdue: int
    aging: dict[str, int]
    last_contact_id: int | None
    last_contacted_at: dt.datetime | None
    last_category: str
    next_follow_up: dt.date | None
    follow_up_due: bool
    # Read in the same statement, for the page of rows only: where the unit is, whom to call (the current
    # occupant listed first: an owner before tenants and household members), what the last contact promised.
    unit_label: str = ""
    estate_name: str = ""
    building_name: str = ""
    occupant_name: str = ""
    occupant_phone: str = ""
    last_promised_date: dt.date | None = None

    @property
    def bucket(self) -> str:
        return bucket_of(self.days_overdue)

    @property
    def last_category_label(self) -> str:
        """The last contact's outcome as DunningContact.Category names it ("" when never contacted)."""
        if not self.last_category:
            return ""
        return str(DunningContact.Category(self.last_category).label)


@dataclass(frozen=True)
class ArrearsTotals:
    units: int
    amount: int
    aging: dict[str, int]
    aging_units: dict[str, int]


def _overdue_base(*, scope: Scope, filters: ArrearsFilters, today: dt.date) -> QuerySet[BillLine]:
    """Bill lines past due, of units in scope and the filters (what they still owe is derived next)."""
    qs = BillLine.objects.filter(due_date__lt=today)
    if (
        scope.all_offices
        and not scope.is_resident
        and not (filters.office_id or filters.estate_id or filters.building_id)
    ):
        # Every unit is in scope (a company-wide finance or admin role, the usual viewer of this list): no
        # `unit IN (SELECT every unit)` semi-join, the open lines' index alone answers.
        if filters.unit_id:
            qs = qs.filter(unit_id=filters.unit_id)
        if filters.fee_item_id:
            qs = qs.filter(fee_item_id=filters.fee_item_id)
        return qs
    units = scope.filter_units(Unit.objects.all())
    if filters.office_id:
        units = units.filter(office_id=filters.office_id)
    if filters.estate_id:
        units = units.filter(estate_id=filters.estate_id)
    if filters.building_id:
        units = units.filter(building_id=filters.building_id)
    if filters.unit_id:
        units = units.filter(pk=filters.unit_id)
    qs = qs.filter(unit__in=units.values("pk"))
    if filters.fee_item_id:
        qs = qs.filter(fee_item_id=filters.fee_item_id)
    return qs


def overdue_lines(
    *, scope: Scope, filters: ArrearsFilters = ArrearsFilters(), today: dt.date | None = None
) -> QuerySet[BillLine]:
    """Bill lines past due with something still owed, annotated (charged, waived, settled, owed)."""
    base = _overdue_base(scope=scope, filters=filters, today=today or timezone.localdate())
    return lines_with_balances(base).filter(Q(owed__gt=0))


# What a line still owes is its `outstanding` column, which the database keeps as the ledger's sum
# (charged − waived − settled + unsettled, BillLine.outstanding); the open lines are a partial index away, so
# the list costs what the arrears are, not what the whole ledger is (tests/backend/billing/test_arrears.py
# checks both agree).
_UNITS_SQL = """
WITH l AS ({lines}),
u AS (
    SELECT unit_id,
           SUM(owed)::bigint AS amount,
           COUNT(*) AS lines,
           MIN(period_start) AS oldest_period,
           MIN(due_date) AS oldest_due,
           COALESCE(SUM(owed) FILTER (WHERE %s::date - due_date <= 30), 0)::bigint AS b0,
           COALESCE(SUM(owed) FILTER (WHERE %s::date - due_date BETWEEN 31 AND 90), 0)::bigint AS b1,
           COALESCE(SUM(owed) FILTER (WHERE %s::date - due_date BETWEEN 91 AND 180), 0)::bigint AS b2,
           COALESCE(SUM(owed) FILTER (WHERE %s::date - due_date > 180), 0)::bigint AS b3
    FROM l GROUP BY unit_id
),
c AS (
    SELECT DISTINCT ON (unit_id) unit_id, id, contacted_at, category, promised_date
    FROM billing_dunningcontact
    WHERE unit_id IN (SELECT unit_id FROM u)
    ORDER BY unit_id, contacted_at DESC, id DESC
),
r AS (
    SELECT u.*, pu.label AS unit_label,
           %s::date - u.oldest_due AS days_overdue,
           c.id AS last_contact_id, c.contacted_at AS last_contacted_at, COALESCE(c.category, '') AS last_category,
           c.promised_date AS last_promised_date,
           CASE
               WHEN c.id IS NULL THEN NULL
               WHEN c.category IN ('unreachable', 'away') THEN (c.contacted_at AT TIME ZONE %s)::date + 1
               WHEN c.category = 'promised' THEN c.promised_date + 1
               ELSE (c.contacted_at AT TIME ZONE %s)::date + {follow_up_days}
           END AS next_follow_up
    FROM u JOIN properties_unit pu ON pu.id = u.unit_id LEFT JOIN c ON c.unit_id = u.unit_id
)
"""

_TOTALS_COLUMNS = (
    "COUNT(*), COALESCE(SUM(amount), 0), COALESCE(SUM(b0), 0), COALESCE(SUM(b1), 0), COALESCE(SUM(b2), 0),"
    " COALESCE(SUM(b3), 0), COUNT(*) FILTER (WHERE days_overdue <= 30),"
    " COUNT(*) FILTER (WHERE days_overdue BETWEEN 31 AND 90), COUNT(*) FILTER (WHERE days_overdue BETWEEN 91 AND 180),"
    " COUNT(*) FILTER (WHERE days_overdue > 180)"
)
_ROW_COLUMNS = (
    "unit_id, amount, lines, oldest_period, oldest_due, days_overdue, b0, b1, b2, b3,"
    " last_contact_id, last_contacted_at, last_category, next_follow_up, unit_label, last_promised_date"
)
_ROW_WIDTH = 16
# What a page of rows shows beside its figures, joined to the page only (after ORDER BY … LIMIT): the unit's
# estate and building, and its first current occupant (an owner first, then by role, move-in date, id).
_PAGE_SQL = """
SELECT p.*, COALESCE(pe.name, ''), COALESCE(pb.name, ''), COALESCE(occ.name, ''), COALESCE(occ.phone, '')
FROM ({page}) p
JOIN properties_unit pu ON pu.id = p.unit_id
LEFT JOIN properties_estate pe ON pe.id = pu.estate_id
LEFT JOIN properties_building pb ON pb.id = pu.building_id
LEFT JOIN LATERAL (
    SELECT pp.name, pp.phone FROM properties_occupancy o JOIN properties_person pp ON pp.id = o.person_id
    WHERE o.unit_id = p.unit_id AND o.end_date IS NULL
    ORDER BY (o.role <> 'owner'), o.role, o.start_date, o.id
    LIMIT 1
) occ ON TRUE
ORDER BY {order}
"""
# The totals as window aggregates over every filtered row, computed before LIMIT: a page and the totals of
# the whole list in one statement.
_WINDOW_TOTALS = ", ".join(
    f"{agg} OVER ()"
    for agg in (
        "COUNT(*)",
        "SUM(amount)",
        "SUM(b0)",
        "SUM(b1)",
        "SUM(b2)",
        "SUM(b3)",
        "COUNT(*) FILTER (WHERE days_overdue <= 30)",
        "COUNT(*) FILTER (WHERE days_overdue BETWEEN 31 AND 90)",
        "COUNT(*) FILTER (WHERE days_overdue BETWEEN 91 AND 180)",
        "COUNT(*) FILTER (WHERE days_overdue > 180)",
    )
)


def _totals_of(values: Sequence[Any]) -> ArrearsTotals:
    return ArrearsTotals(
        units=int(values[0] or 0),
        amount=int(values[1] or 0),
        aging=dict(zip(BUCKETS, (int(v or 0) for v in values[2:6]), strict=True)),
        aging_units=dict(zip(BUCKETS, (int(v or 0) for v in values[6:10]), strict=True)),
    )


class ArrearsQuery:
    """Units in arrears, one row each, filtered and ordered in SQL. Sliceable and countable, so Django's and
    DRF's paginators page it directly; `totals()` sums every matching unit (not only one page)."""

    ordered = True

    def __init__(
        self,
        *,
        scope: Scope,
        filters: ArrearsFilters = ArrearsFilters(),
        today: dt.date | None = None,
        ordering: str = "-amount",
    ) -> None:
        if filters.bucket and filters.bucket not in BUCKETS:
            raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
        self.today = today or timezone.localdate()
        self.filters = filters
        self.order_sql = ORDERINGS.get(ordering, ORDERINGS["-amount"])
        lines_sql, lines_params = (
            _overdue_base(scope=scope, filters=filters, today=self.today)
            .filter(outstanding__gt=0)
            .annotate(owed=F("outstanding"))
            .values("id", "unit_id", "period_start", "due_date", "owed")
            .order_by()  # BillLine's default ordering would sort every open line for nothing
            .query.sql_with_params()
        )
        tz = company_time_zone().key
        self._with = _UNITS_SQL.format(lines=lines_sql, follow_up_days=int(FOLLOW_UP_DAYS))
        t = self.today
        self._params: list[Any] = [*lines_params, t, t, t, t, t, tz, tz]
        where: list[str] = []
        where_params: list[Any] = []
        if filters.min_amount:
            where.append("amount >= %s")
            where_params.append(int(filters.min_amount))
        if filters.bucket:
            low, high = {"0-30": (0, 30), "31-90": (31, 90), "91-180": (91, 180), "180+": (181, 10**6)}[filters.bucket]
            where.append("days_overdue BETWEEN %s AND %s")
            where_params += [low, high]
        if filters.follow_up_due:
            where.append("(next_follow_up IS NULL OR next_follow_up <= %s)")
            where_params.append(t)
        self._where = (" WHERE " + " AND ".join(where)) if where else ""
        self._where_params = where_params
        self._count: int | None = None

    def _fetch(
        self, columns: str, params: Sequence[Any], tail: str = "", *, page: bool = False
    ) -> list[tuple[Any, ...]]:
        """SELECT `columns` FROM the filtered rows (`page`: with what _PAGE_SQL joins to them). Every piece of
        SQL here is a constant of this module or an ORM-compiled query; values travel as parameters."""
        sql = f"SELECT {columns} FROM r{self._where}{tail}"  # noqa: S608
        if page:
            sql = _PAGE_SQL.format(page=sql, order=self.order_sql)
        sql = f"{self._with} {sql}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*self._params, *params])
            return list(cursor.fetchall())

    def count(self) -> int:
        if self._count is None:
            self._count = int(self._fetch("COUNT(*)", self._where_params)[0][0])
        return self._count

    def __len__(self) -> int:
        return self.count()

    def totals(self) -> ArrearsTotals:
        totals = _totals_of(self._fetch(_TOTALS_COLUMNS, self._where_params)[0])
        self._count = totals.units
        return totals

    def page(self, number: int, size: int) -> tuple[list[ArrearsRow], ArrearsTotals, int]:
        """Page `number` (from 1) of `size` rows with the totals of the whole list, in one statement. A number
        past the last page gives the last page. Returns (rows, totals, the page number served)."""
        number = max(1, int(number))
        rows, totals = self._rows(offset=(number - 1) * size, limit=size, with_totals=True)
        if totals is None:  # nothing on that page: the list is empty or shorter
            totals = self.totals()
            if totals.units:
                number = (totals.units - 1) // size + 1
                rows, _again = self._rows(offset=(number - 1) * size, limit=size)
            else:
                number = 1
        return rows, totals, number

    def rows(self, offset: int = 0, limit: int | None = None) -> list[ArrearsRow]:
        return self._rows(offset=offset, limit=limit)[0]

    def _rows(
        self, *, offset: int = 0, limit: int | None = None, with_totals: bool = False
    ) -> tuple[list[ArrearsRow], ArrearsTotals | None]:
        tail = f" ORDER BY {self.order_sql}"
        params = list(self._where_params)
        if limit is not None:
            tail += " LIMIT %s"
            params.append(int(limit))
        if offset:
            tail += " OFFSET %s"
            params.append(int(offset))
        columns = f"{_ROW_COLUMNS}, {_WINDOW_TOTALS}" if with_totals else _ROW_COLUMNS
        fetched = self._fetch(columns, params, tail, page=True)
        totals = _totals_of(fetched[0][_ROW_WIDTH:-4]) if with_totals and fetched else None
        if totals is not None:
            self._count = totals.units
        out = []
        for r in fetched:
            out.append(
                ArrearsRow(
                    unit_id=r[0],
                    amount=int(r[1]),
                    lines=int(r[2]),
                    oldest_period=r[3],
                    oldest_due=r[4],
                    days_overdue=int(r[5]),
                    aging=dict(zip(BUCKETS, (int(v) for v in r[6:10]), strict=True)),
                    last_contact_id=r[10],
                    last_contacted_at=r[11],
                    last_category=r[12],
                    next_follow_up=r[13],
                    follow_up_due=r[13] is None or r[13] <= self.today,
                    unit_label=r[14],
                    last_promised_date=r[15],
                    estate_name=r[-4],
                    building_name=r[-3],
                    occupant_name=r[-2],
                    occupant_phone=r[-1],
                )
            )
        return out, totals

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            start = key.start or 0
            limit = None if key.stop is None else max(0, key.stop - start)
            return self.rows(offset=start, limit=limit)
        rows = self.rows(offset=key, limit=1)
        if not rows:
            raise IndexError(key)
        return rows[0]

    def __iter__(self) -> Iterator[ArrearsRow]:
        return iter(self.rows())


def arrears_list(
    *, scope: Scope, filters: ArrearsFilters = ArrearsFilters(), today: dt.date | None = None, ordering: str = "-amount"
) -> ArrearsQuery:
    """The arrears work list: one row per unit in arrears (in the caller's data scope)."""
    return ArrearsQuery(scope=scope, filters=filters, today=today, ordering=ordering)


def unit_arrears(unit_id: int, *, today: dt.date | None = None) -> ArrearsRow | None:
    """One unit's arrears row (amount, oldest period, aging, last contact, follow-up), or None."""
    rows = ArrearsQuery(scope=Scope.everything(), filters=ArrearsFilters(unit_id=unit_id), today=today).rows()
    return rows[0] if rows else None


def unit_unpaid_lines(unit_id: int, *, today: dt.date | None = None) -> list[BillLine]:
    """The unit's overdue unpaid lines, oldest first, each with `owed` and `days_overdue`."""
    today = today or timezone.localdate()
    lines = list(
        overdue_lines(scope=Scope.everything(), filters=ArrearsFilters(unit_id=unit_id), today=today)
        .select_related("fee_item", "parent")
        .order_by("period_start", "due_date", "fee_item__priority", "id")
    )
    for line in lines:
        line.days_overdue = (today - line.due_date).days  # type: ignore[attr-defined]
    return lines


def unit_in_arrears(unit_id: int, *, today: dt.date | None = None, min_days: int = 0) -> bool:
    """True when the unit owes something on a line more than `min_days` days past its due date."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=min_days)
    qs = BillLine.objects.filter(unit_id=unit_id, due_date__lt=cutoff)
    return lines_with_balances(qs).filter(Q(owed__gt=0)).exists()


# --- sanctions ---------------------------------------------------------------------------------------------


def unit_sanctions(unit_id: int, *, today: dt.date | None = None) -> list[str]:
    """The sanctions (backend.billing.models.Sanction values) that apply to a unit now.

    This is THE selector other modules call before they grant something a unit in arrears may be refused::

        from backend.billing.arrears import unit_sanctioned
        from backend.billing.models import Sanction

        if unit_sanctioned(unit.pk, Sanction.NO_PAID_BOOKING):      # bookings
            raise ApplicationError(_("Paid bookings are suspended while this home has unpaid fees."))

    Sanctions: no_certificates, no_renovation (renovation approvals), no_monthly_parking (parking),
    no_card_replacement (access cards), no_paid_booking (facility bookings). A sanction applies when the
    company switched it on (BillingSettings.sanctions) AND the unit has a bill line still owed more than
    BillingSettings.sanction_min_overdue_days past its due date. Water, power and heating are never
    sanctions (cutting them is illegal in China) and are not among the choices.
    """
    billing = BillingSettings.load()
    enabled = [s for s in Sanction.values if s in (billing.sanctions or [])]
    if not enabled:
        return []
    if not unit_in_arrears(unit_id, today=today, min_days=billing.sanction_min_overdue_days):
        return []
    return enabled


def unit_sanctioned(unit_id: int, sanction: str, *, today: dt.date | None = None) -> bool:
    """True when `sanction` (a Sanction value) applies to the unit now. See unit_sanctions for the rule.
    An unknown sanction name is a programming error (ValueError), never silently False."""
    if sanction not in Sanction.values:
        raise ValueError(f"unknown sanction {sanction!r}; one of {', '.join(Sanction.values)}")
    return sanction in unit_sanctions(unit_id, today=today)

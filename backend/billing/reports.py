"""收费报表: receivable (应收), waived, collected (实收), outstanding, collection rate (收缴率) against the
company's target, prepaid balance (预收) and arrears (欠费) per management office, estate, building or fee item
over a period; a 12-month trend; the money received by payment method and channel. Their charts (inline SVG)
are report_charts.py, the .xlsx export report_xlsx.py.

Every figure is derived from LedgerEntry with GROUP BY, never stored, and never computed unit by unit:

- receivable   Σ charge entries on the bill lines whose period_start falls in the period
- waived       Σ waiver entries (减免 / 红冲) on those lines
- collected    Σ settle − Σ unsettle on those lines (money actually applied to them, whoever paid and when)
- outstanding  receivable − waived − collected
- rate         collected ÷ (receivable − waived): a waived fen is neither due nor collected
- prepaid      the unallocated money of the group's units (payment + prepayment − settle + unsettle − refund)
- arrears      what is still owed on the group's lines due before the cut-off day, whatever their period

`as_of` (a date) reads the ledger as it stood at the end of that day (entries with occurred_on ≤ as_of);
prepaid and arrears are balances on that day (default: today), not sums over the period.

Cost: the table is two GROUP BY statements whatever the number of units (the period's lines; one pass over
the ledger for the balances), the trend one, money received two. Prepaid and arrears are balances, so that
pass reads every ledger row of the scope: at 1M bill lines / 2.4M entries it is about two bare scans of the
ledger table.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, IntegerField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.errors import ApplicationError
from backend.properties import selectors as registry
from backend.properties.models import Building, Estate, ManagementOffice, Unit
from backend.properties.scope import Scope
from tenants.company.models import CompanySettings

from .models import FeeItem, LedgerEntry, Payment
from .periods import add_months, local_day_bounds, month_end, month_start, parse_period

GROUPS = ("office", "estate", "building", "fee_item")
GEO_GROUPS = ("office", "estate", "building")
# Where each grouping's key sits, seen from a ledger entry.
_KEY = {
    "office": "unit__office_id",
    "estate": "unit__estate_id",
    "building": "unit__building_id",
    "fee_item": "bill_line__fee_item_id",
}
# The next level down when a row is opened (office → estates → buildings → fee items of the building).
DRILL = {"office": ("estate", "office"), "estate": ("building", "estate"), "building": ("fee_item", "building")}
MAX_MONTHS = 36
DEFAULT_TARGET_PCT = 95

LINE_KINDS = list(LedgerEntry.LINE_KINDS)
PAYMENT_KINDS = list(LedgerEntry.PAYMENT_KINDS)


def group_labels() -> dict[str, str]:
    return {
        "office": _("Management office"),
        "estate": _("Estate"),
        "building": _("Building"),
        "fee_item": _("Fee item"),
    }


# --- parameters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One month or a range of whole months: `start` and `end` are both first days of months."""

    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        return month_end(self.end)

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def is_month(self) -> bool:
        return self.start == self.end

    def __str__(self) -> str:
        if self.is_month:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m} – {self.end:%Y-%m}"


@dataclass(frozen=True)
class ReportQuery:
    """What a report is about: the period, the grouping, an optional drill-down filter and an as-of day."""

    period: Period
    group: str = "office"
    office_id: int | None = None
    estate_id: int | None = None
    building_id: int | None = None
    as_of: dt.date | None = None

    def params(self, **override: Any) -> dict[str, str]:
        """The query-string parameters that reproduce this query (for links and the export)."""
        values: dict[str, Any] = {
            "start": f"{self.period.start:%Y-%m}",
            "end": f"{self.period.end:%Y-%m}",
            "group": self.group,
            "office": self.office_id,
            "estate": self.estate_id,
            "building": self.building_id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }
        if self.period.is_month:
            values.pop("start")
            values.pop("end")
            values["period"] = f"{self.period.start:%Y-%m}"
        values.update(override)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _month(text: str, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    try:
        return parse_period(text)
    except ValueError:
        errors.setdefault(name, []).append(_("Enter a month as YYYY-MM."))
        return None


def _positive_int(text: str | None, name: str, errors: dict[str, list[str]]) -> int | None:
    if text in (None, ""):
        return None
    try:
        value = int(str(text))
    except ValueError:
        value = 0
    if value <= 0:
        errors.setdefault(name, []).append(_("Must be a whole number."))
        return None
    return value


def parse_query(params: Mapping[str, Any], *, today: dt.date | None = None) -> ReportQuery:
    """?period=YYYY-MM or ?start=YYYY-MM&end=YYYY-MM (default: this month), ?group=, ?office= / ?estate= /
    ?building= (drill-down), ?as_of=YYYY-MM-DD. Raises ApplicationError with field messages."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    period_text = (params.get("period") or "").strip()
    start_text = (params.get("start") or "").strip()
    end_text = (params.get("end") or "").strip()
    start = end = month_start(today)
    if period_text:
        month = _month(period_text, "period", errors)
        if month:
            start = end = month
    elif start_text or end_text:
        first = _month(start_text, "start", errors) if start_text else None
        last = _month(end_text, "end", errors) if end_text else None
        if start_text and not end_text and first:
            start = end = first
        elif end_text and not start_text and last:
            start = end = last
        elif first and last:
            start, end = first, last
    if not errors:
        if end < start:
            errors["end"] = [_("The last month comes after the first.")]
        elif (end.year - start.year) * 12 + end.month - start.month + 1 > MAX_MONTHS:
            errors["end"] = [_("A report covers at most %(n)s months.") % {"n": MAX_MONTHS}]
    group = (params.get("group") or "office").strip()
    if group not in GROUPS:
        errors["group"] = [_("Group by office, estate, building or fee_item.")]
    office_id = _positive_int(params.get("office"), "office", errors)
    estate_id = _positive_int(params.get("estate"), "estate", errors)
    building_id = _positive_int(params.get("building"), "building", errors)
    as_of: dt.date | None = None
    if as_of_text := (params.get("as_of") or "").strip():
        try:
            as_of = dt.date.fromisoformat(as_of_text)
        except ValueError:
            errors["as_of"] = [_("Enter a date as YYYY-MM-DD.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    return ReportQuery(
        period=Period(start, end),
        group=group,
        office_id=office_id,
        estate_id=estate_id,
        building_id=building_id,
        as_of=as_of,
    )


def target_pct() -> int:
    """The company's collection-rate target in percent (CompanySettings; 95 when not set)."""
    value = CompanySettings.objects.values_list("collection_rate_target_pct", flat=True).first()
    return int(value) if value else DEFAULT_TARGET_PCT


# --- figures -------------------------------------------------------------------------------------


def rate_of(collected: int, due: int) -> Decimal | None:
    """collected ÷ due as a percentage with two decimals (half-up); None when nothing was due."""
    if due <= 0:
        return None
    return (Decimal(collected) * 100 / Decimal(due)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    receivable: int = 0
    waived: int = 0
    collected: int = 0
    prepaid: int | None = 0  # None for fee items: a prepaid balance belongs to no item
    arrears: int = 0

    @property
    def due(self) -> int:
        """What the rate is measured against: receivable less waivers."""
        return self.receivable - self.waived

    @property
    def outstanding(self) -> int:
        return self.receivable - self.waived - self.collected

    @property
    def rate(self) -> Decimal | None:
        return rate_of(self.collected, self.due)

    def meets(self, target: int) -> bool | None:
        """Whether the collection rate reaches `target` % (exactly, in integers); None when nothing was due."""
        if self.due <= 0:
            return None
        return self.collected * 100 >= target * self.due

    def add(self, other: Figures) -> None:
        self.receivable += other.receivable
        self.waived += other.waived
        self.collected += other.collected
        self.arrears += other.arrears
        if self.prepaid is not None and other.prepaid is not None:
            self.prepaid += other.prepaid

    @property
    def is_empty(self) -> bool:
        return not (self.receivable or self.waived or self.collected or self.prepaid or self.arrears)


@dataclass
class ReportRow:
    key: int
    label: str
    context: str  # the parent's name (office of an estate, estate of a building, office of a fee item)
    figures: Figures
    meets_target: bool | None = None
    drill: dict[str, str] | None = None  # query parameters of the next level down


@dataclass
class CollectionReport:
    query: ReportQuery
    target_pct: int
    rows: list[ReportRow]
    totals: Figures
    cutoff: dt.date  # prepaid and arrears are balances at the end of this day (arrears: due before it)

    @property
    def totals_meet_target(self) -> bool | None:
        return self.totals.meets(self.target_pct)


def _entries(scope: Scope, query: ReportQuery) -> QuerySet[LedgerEntry]:
    """The ledger entries of the units the caller may see, within the drill-down filter and the as-of day."""
    qs = LedgerEntry.objects.all()
    if scope.is_resident:
        qs = qs.filter(unit__in=scope.filter_units(Unit.objects.all()))
    else:
        qs = qs.filter(scope.unit_q("unit__"))
    if query.office_id:
        qs = qs.filter(unit__office_id=query.office_id)
    if query.estate_id:
        qs = qs.filter(unit__estate_id=query.estate_id)
    if query.building_id:
        qs = qs.filter(unit__building_id=query.building_id)
    if query.as_of:
        qs = qs.filter(occurred_on__lte=query.as_of)
    return qs


def _sum(condition: Q, value: Any = None) -> Coalesce:
    return Coalesce(Sum(value if value is not None else F("amount"), filter=condition, output_field=IntegerField()), 0)


def _labels(group: str, keys: set[int]) -> dict[int, tuple[str, str, tuple[Any, ...]]]:
    """key → (label, parent's name, sort key)."""
    if not keys:
        return {}
    if group == "office":
        return {
            pk: (name, "", (name,))
            for pk, name in ManagementOffice.objects.filter(pk__in=keys).values_list("pk", "name")
        }
    if group == "estate":
        estates = Estate.objects.filter(pk__in=keys).values_list("pk", "name", "office__name")
        return {pk: (name, office, (office, name)) for pk, name, office in estates}
    if group == "building":
        buildings = Building.objects.filter(pk__in=keys).values_list("pk", "name", "estate__name")
        return {pk: (name, estate, (estate, len(name), name)) for pk, name, estate in buildings}
    items = FeeItem.objects.filter(pk__in=keys).values_list("pk", "name", "office__name", "priority", "code")
    return {pk: (name, office, (office, priority, code)) for pk, name, office, priority, code in items}


def _owed(t: Mapping[str, int]) -> int:
    """What the lines of these per-kind totals still owe."""
    return t.get("charge", 0) - t.get("waiver", 0) - t.get("settle", 0) + t.get("unsettle", 0)


def _credit(t: Mapping[str, int]) -> int:
    """The unallocated money (prepaid balance) of these per-kind totals."""
    return t.get("payment", 0) + t.get("prepayment", 0) - t.get("settle", 0) + t.get("unsettle", 0) - t.get("refund", 0)


def collection_report(*, scope: Scope, query: ReportQuery, today: dt.date | None = None) -> CollectionReport:
    """The report table, in two GROUP BY queries over the ledger (plus one for the groups' names):

    1. entries of the lines billed in the period or not yet due on the cut-off day, per group × kind ×
       (in the period?) × (not yet due?): the period's figures, and what the not-yet-due lines owe;
    2. every entry of the group's units per group × kind: what all their lines owe and their prepaid credit.

    arrears = what all lines owe − what the not-yet-due lines owe (so no join on every line's due date)."""
    cutoff = query.as_of or today or timezone.localdate()
    period = query.period
    geo = query.group in GEO_GROUPS
    key = _KEY[query.group]
    in_period = Q(bill_line__period_start__gte=period.start, bill_line__period_start__lte=period.last_day)
    not_due = Q(bill_line__due_date__gte=cutoff)
    entries = _entries(scope, query)
    in_range: dict[int, dict[str, int]] = defaultdict(dict)
    pending: dict[int, dict[str, int]] = defaultdict(dict)
    lines = (
        entries.filter(Q(kind__in=LINE_KINDS) & (in_period | not_due))
        .values(
            "kind",
            key=F(key),
            in_period=ExpressionWrapper(in_period, output_field=BooleanField()),
            not_due=ExpressionWrapper(not_due, output_field=BooleanField()),
        )
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for r in lines:
        for hit, bucket in ((r["in_period"], in_range), (r["not_due"], pending)):
            if hit:
                bucket[r["key"]][r["kind"]] = bucket[r["key"]].get(r["kind"], 0) + int(r["total"])
    everything: dict[int | None, dict[str, int]] = defaultdict(dict)
    totals_by_kind = (
        entries.filter(kind__in=LINE_KINDS + PAYMENT_KINDS)
        .values("kind", key=F(key))
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in totals_by_kind:
        everything[row["key"]][row["kind"]] = int(row["total"])
    figures: dict[int, Figures] = {}
    for k in set(in_range) | set(everything):
        if k is None:
            continue
        t = in_range.get(k, {})
        figures[k] = Figures(
            receivable=t.get("charge", 0),
            waived=t.get("waiver", 0),
            collected=t.get("settle", 0) - t.get("unsettle", 0),
            prepaid=_credit(everything.get(k, {})) if geo else None,
            arrears=_owed(everything.get(k, {})) - _owed(pending.get(k, {})),
        )
    target = target_pct()
    labels = _labels(query.group, set(figures))
    out: list[ReportRow] = []
    totals = Figures()
    for k, f in figures.items():
        if f.is_empty or k not in labels:
            continue
        label, context, _sort = labels[k]
        drill = None
        if query.group in DRILL:
            next_group, param = DRILL[query.group]
            drill = query.params(group=next_group, **{param: k})
        out.append(ReportRow(key=k, label=label, context=context, figures=f, meets_target=f.meets(target), drill=drill))
        totals.add(f)
    out.sort(key=lambda row: labels[row.key][2])
    if not geo:
        totals.prepaid = sum(_credit(t) for t in everything.values())
    return CollectionReport(query=query, target_pct=target, rows=out, totals=totals, cutoff=cutoff)


# --- trend ---------------------------------------------------------------------------------------


@dataclass
class TrendPoint:
    month: dt.date
    receivable: int
    waived: int
    collected: int

    @property
    def due(self) -> int:
        return self.receivable - self.waived

    @property
    def rate(self) -> Decimal | None:
        return rate_of(self.collected, self.due)


def collection_trend(*, scope: Scope, query: ReportQuery, months: int = 12) -> list[TrendPoint]:
    """Receivable, waived, collected and the rate for each of the `months` months up to the query's last
    month (bill lines by the month of their period_start), in one GROUP BY."""
    last = query.period.end
    first = add_months(last, -(months - 1))
    rows = (
        _entries(scope, query)
        .filter(kind__in=LINE_KINDS, bill_line__period_start__gte=first, bill_line__period_start__lte=month_end(last))
        .values("kind", month=TruncMonth("bill_line__period_start"))
        .annotate(total=Sum("amount"))
        .order_by()
    )
    by_month: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        by_month[month][row["kind"]] = int(row["total"])
    points = []
    for i in range(months):
        month = add_months(first, i)
        found = by_month.get(month, {})
        points.append(
            TrendPoint(
                month=month,
                receivable=found.get("charge", 0),
                waived=found.get("waiver", 0),
                collected=found.get("settle", 0) - found.get("unsettle", 0),
            )
        )
    return points


# --- money received ------------------------------------------------------------------------------


@dataclass
class PaymentsReport:
    query: ReportQuery
    count: int
    amount: int
    refunded: int
    by_method: list[dict[str, Any]] = field(default_factory=list)
    by_channel: list[dict[str, Any]] = field(default_factory=list)
    by_day: list[dict[str, Any]] = field(default_factory=list)


def payments_received(*, scope: Scope, query: ReportQuery) -> PaymentsReport:
    """Money received in the period (Payment rows by their received_at day, company time zone) by method,
    by channel and by day, and the refunds paid out in the period."""
    period = query.period
    start, end = local_day_bounds(period.start, period.last_day)
    tz = timezone.get_current_timezone()  # days of received_at, as the bounds
    qs = Payment.objects.filter(received_at__gte=start, received_at__lt=end)
    qs = (
        qs.filter(unit__in=scope.filter_units(Unit.objects.all()))
        if scope.is_resident
        else qs.filter(scope.unit_q("unit__"))
    )
    if query.office_id:
        qs = qs.filter(unit__office_id=query.office_id)
    if query.estate_id:
        qs = qs.filter(unit__estate_id=query.estate_id)
    if query.building_id:
        qs = qs.filter(unit__building_id=query.building_id)
    methods = dict(Payment.Method.choices)
    channels = dict(Payment.Channel.choices)
    by_method: dict[str, dict[str, Any]] = {}
    by_channel: dict[str, dict[str, Any]] = {}
    count = amount = 0

    for r in qs.values("method", "channel").annotate(n=Count("id"), total=Sum("amount")).order_by():
        n, total = int(r["n"]), int(r["total"])
        count += n
        amount += total
        for bucket, code, names in ((by_method, r["method"], methods), (by_channel, r["channel"], channels)):
            row = bucket.setdefault(code, {"code": code, "label": str(names.get(code, code)), "count": 0, "amount": 0})
            row["count"] += n
            row["amount"] += total
    by_day = [
        {"day": r["day"], "count": int(r["n"]), "amount": int(r["total"])}
        for r in qs.annotate(day=TruncDate("received_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("day")
    ]
    refund_query = ReportQuery(
        period=period, office_id=query.office_id, estate_id=query.estate_id, building_id=query.building_id
    )
    refunded = (
        _entries(scope, refund_query)
        .filter(kind="refund", occurred_on__gte=period.start, occurred_on__lte=period.last_day)
        .aggregate(t=_sum(Q()))["t"]
    )
    return PaymentsReport(
        query=query,
        count=count,
        amount=amount,
        refunded=int(refunded),
        by_method=sorted(by_method.values(), key=lambda r: -r["amount"]),
        by_channel=sorted(by_channel.values(), key=lambda r: -r["amount"]),
        by_day=by_day,
    )


# --- where the report sits (breadcrumbs) ---------------------------------------------------------


def query_filter_names(*, scope: Scope, query: ReportQuery) -> list[tuple[str, dict[str, str]]] | None:
    """The drill-down path as (name, query parameters) from the top; None when a filter names something
    the caller may not see (the page answers 404)."""
    path: list[tuple[str, dict[str, str]]] = []
    base = ReportQuery(period=query.period, as_of=query.as_of)
    if query.office_id:
        office = registry.office_list(scope=scope).filter(pk=query.office_id).first()
        if office is None:
            return None
        path.append((office.name, base.params(group="estate", office=office.pk)))
    if query.estate_id:
        estate = registry.estate_list(scope=scope).filter(pk=query.estate_id).first()
        if estate is None:
            return None
        path.append((estate.name, base.params(group="building", estate=estate.pk)))
    if query.building_id:
        building = registry.building_list(scope=scope).filter(pk=query.building_id).first()
        if building is None:
            return None
        path.append((f"{building.estate.name} {building.name}", base.params(group="fee_item", building=building.pk)))
    return path

"""Service desk reports (报修统计) and the SLA dashboard, for customer service and the company's managers.

The tickets counted are those reported in the chosen months (the company's months), not cancelled, within the
caller's scope; each row of a report is one category, estate, engineer (the assignee) or month:

- **volume**: tickets reported; how many are finished (completed, confirmed or closed) and still open;
- **SLA attainment** (达标率): tickets finished within their resolution target over the tickets whose outcome is
  known (finished, or still open and already past their resolution time); the response target likewise
  (accepted within it, or still waiting for an engineer past it);
- **revisit rate** (回访率): finished repairs customer service revisited and closed, over the finished ones, and
  how many revisits were on time; how many repairs were reopened (返修);
- **satisfaction** (满意度): the residents' ratings (1–5): their average and the share of 4 or 5 stars.

Each report is one grouped query (COUNT … FILTER over the ticket table) plus one for the month trend, so a
year of 100,000 tickets is two scans. The dashboard adds the open tickets past or close to their time limits
("close": the SLA sweep's near-breach warning has gone out, alerts.py) and the latest finished ones."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.billing.periods import add_months
from backend.errors import ApplicationError
from backend.properties.models import Estate
from backend.properties.scope import Scope
from tenants.db import company_time_zone

from .models import OPEN_STATUSES, RepairCategory, Status, Ticket, TicketEvent
from .selectors import tickets_visible

GROUPS = ("category", "estate", "engineer", "month")
MONTH_CHOICES = (1, 3, 6, 12)
MAX_MONTHS = 12
TARGET_PCT = 90  # the attainment the charts draw their line at
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
DIGITS = re.compile(r"[0-9]+")
SHOWN = 20


def group_labels() -> dict[str, str]:
    return {"category": _("Category"), "estate": _("Estate"), "engineer": _("Engineer"), "month": _("Month")}


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    reported: int = 0
    finished: int = 0
    open: int = 0
    within: int = 0  # finished within the resolution target
    late: int = 0  # finished past it, or open and already past it
    response_within: int = 0
    response_late: int = 0
    revisited: int = 0
    revisit_on_time: int = 0
    reopened: int = 0
    rated: int = 0
    rating_sum: int = 0
    satisfied: int = 0  # rated 4 or 5

    def add(self, other: Figures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def attainment(self) -> Decimal | None:
        return _pct(self.within, self.within + self.late)

    @property
    def response_attainment(self) -> Decimal | None:
        return _pct(self.response_within, self.response_within + self.response_late)

    @property
    def revisit_rate(self) -> Decimal | None:
        return _pct(self.revisited, self.finished)

    @property
    def reopen_rate(self) -> Decimal | None:
        return _pct(self.reopened, self.reported)

    @property
    def satisfaction(self) -> Decimal | None:
        return _pct(self.satisfied, self.rated)

    @property
    def average_rating(self) -> Decimal | None:
        if not self.rated:
            return None
        return (Decimal(self.rating_sum) / Decimal(self.rated)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def meets_target(self) -> bool:
        return self.attainment is not None and self.attainment >= TARGET_PCT


@dataclass(frozen=True)
class ReportQuery:
    first_month: dt.date
    months: int = 12
    group: str = "category"
    estate_id: int | None = None

    @property
    def last_month(self) -> dt.date:
        return add_months(self.first_month, self.months - 1)

    def params(self, **changes: Any) -> dict[str, str]:
        out = {"from": f"{self.first_month:%Y-%m}", "months": str(self.months), "group": self.group}
        if self.estate_id:
            out["estate"] = str(self.estate_id)
        out.update({k: str(v) for k, v in changes.items() if v is not None})
        return out


def this_month(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(company_time_zone()).date().replace(day=1)


def parse_query(params: Any, *, now: dt.datetime | None = None) -> ReportQuery:
    """From the page's GET parameters: `from` (YYYY-MM; default: 11 months before this one), `months` (1, 3, 6
    or 12), `group` and `estate`. Bad values are field errors."""
    errors: dict[str, list[str]] = {}
    months_text = (params.get("months") or "12").strip()
    months = int(months_text) if DIGITS.fullmatch(months_text) else 0
    if months not in MONTH_CHOICES:
        errors["months"] = [_("Choose 1, 3, 6 or 12 months.")]
        months = 12
    first_text = (params.get("from") or "").strip()
    first = add_months(this_month(now), -(months - 1))
    if first_text:
        try:
            if not MONTH.fullmatch(first_text):
                raise ValueError
            first = dt.date(int(first_text[:4]), int(first_text[5:]), 1)
        except ValueError:
            errors["from"] = [_("Enter a month as YYYY-MM.")]
    group = params.get("group") or "category"
    if group not in GROUPS:
        errors["group"] = [_("Choose how to group the report.")]
    estate_text = (params.get("estate") or "").strip()
    estate_id = None
    if estate_text:
        if DIGITS.fullmatch(estate_text):
            estate_id = int(estate_text)
        else:
            errors["estate"] = [_("Choose an estate.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    return ReportQuery(first_month=first, months=months, group=group, estate_id=estate_id)


@dataclass
class Row:
    key: Any
    label: str
    figures: Figures


@dataclass
class MonthPoint:
    month: dt.date
    figures: Figures


@dataclass
class DeskReport:
    query: ReportQuery
    rows: list[Row]
    total: Figures
    months: list[MonthPoint]
    estates: list[tuple[int, str]]
    target_pct: int = TARGET_PCT
    now: dt.datetime = field(default_factory=timezone.now)


def _bounds(first: dt.date, months: int) -> tuple[dt.datetime, dt.datetime]:
    tz = company_time_zone()
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(add_months(first, months), dt.time(), tzinfo=tz)
    return start, end


def counted(*, scope: Scope, query: ReportQuery) -> QuerySet[Ticket]:
    """The report's tickets: reported in its months, not cancelled, in the caller's scope (and estate)."""
    start, end = _bounds(query.first_month, query.months)
    qs = tickets_visible(scope=scope).filter(created_at__gte=start, created_at__lt=end).exclude(status=Status.CANCELLED)
    if query.estate_id:
        qs = qs.filter(estate_id=query.estate_id)
    return qs


def _aggregates(now: dt.datetime) -> dict[str, Any]:
    open_ = Q(status__in=OPEN_STATUSES)
    finished = Q(finished_at__isnull=False)
    return {
        "reported": Count("pk"),
        "finished": Count("pk", filter=finished),
        "open": Count("pk", filter=open_),
        "within": Count("pk", filter=finished & Q(finished_at__lte=F("resolution_due"))),
        "late": Count(
            "pk",
            filter=(finished & Q(finished_at__gt=F("resolution_due"))) | (open_ & Q(resolution_due__lt=now)),
        ),
        "response_within": Count("pk", filter=Q(accepted_at__isnull=False, accepted_at__lte=F("response_due"))),
        "response_late": Count(
            "pk",
            filter=Q(accepted_at__isnull=False, accepted_at__gt=F("response_due"))
            | Q(accepted_at__isnull=True, status__in=(Status.NEW, Status.ASSIGNED), response_due__lt=now),
        ),
        "revisited": Count("pk", filter=Q(status=Status.CLOSED)),
        "revisit_on_time": Count("pk", filter=Q(status=Status.CLOSED, closed_at__lte=F("revisit_due"))),
        "reopened": Count("pk", filter=Q(reopened__gt=0)),
        "rated": Count("rating"),
        "rating_sum": Sum("rating", default=0),
        "satisfied": Count("pk", filter=Q(rating__gte=4)),
    }


def _figures(row: dict[str, Any]) -> Figures:
    return Figures(**{name: int(row.get(name) or 0) for name in Figures.__dataclass_fields__})


def grouped_by(qs: QuerySet[Ticket], keys: tuple[str, ...], now: dt.datetime) -> dict[tuple[Any, ...], Figures]:
    """{(key values…): Figures} for `qs` grouped by columns ("month": the company's month of the report), in
    one scan of the tickets."""
    if "month" in keys:
        qs = qs.annotate(month=TruncMonth("created_at", tzinfo=company_time_zone()))
    out = {}
    for row in qs.order_by().values(*keys).annotate(**_aggregates(now)):
        values = tuple(row[k].date() if isinstance(row[k], dt.datetime) else row[k] for k in keys)
        out[values] = _figures(row)
    return out


def rolled_up(cells: dict[tuple[Any, ...], Figures], position: int) -> dict[Any, Figures]:
    """The cells of grouped_by summed over every key but the one at `position`."""
    out: dict[Any, Figures] = {}
    for values, figures in cells.items():
        out.setdefault(values[position], Figures()).add(figures)
    return out


def grouped(qs: QuerySet[Ticket], key: str, now: dt.datetime) -> dict[Any, Figures]:
    """{key value: Figures} for `qs` grouped by one column (or "month")."""
    return rolled_up(grouped_by(qs, (key,), now), 0)


def _labels(group: str, keys: list[Any]) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if group == "category_id":
        return dict(RepairCategory.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group == "estate_id":
        return dict(Estate.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group == "assignee_id":
        names = dict(User.objects.filter(pk__in=ids).values_list("pk", "name"))
        return {**names, None: _("Not dispatched")}
    return {}


COLUMNS = {"category": "category_id", "estate": "estate_id", "engineer": "assignee_id", "month": "month"}


def desk_report(*, scope: Scope, query: ReportQuery, now: dt.datetime | None = None) -> DeskReport:
    now = now or timezone.now()
    qs = counted(scope=scope, query=query)
    column = COLUMNS[query.group]
    # One scan: the cells per (month, group), summed into the rows and the month trend.
    cells = grouped_by(qs, ("month",) if column == "month" else ("month", column), now)
    by_month = rolled_up(cells, 0)
    months = [add_months(query.first_month, i) for i in range(query.months)]
    trend = [MonthPoint(m, by_month.get(m, Figures())) for m in months]
    if column == "month":
        rows = [Row(p.month, f"{p.month:%Y-%m}", p.figures) for p in trend]
    else:
        figures = rolled_up(cells, 1)
        labels = _labels(column, list(figures))
        rows = [Row(k, labels.get(k, str(k)), f) for k, f in figures.items()]
        rows.sort(key=lambda r: (-r.figures.reported, r.label))
    total = Figures()
    for point in trend:
        total.add(point.figures)
    estates = list(Estate.objects.filter(scope.estate_q()).order_by("name").values_list("pk", "name"))
    return DeskReport(query=query, rows=rows, total=total, months=trend, estates=estates, now=now)


# --- the SLA dashboard -----------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    now: dt.datetime
    month: dt.date
    figures: Figures  # this month's tickets
    open: int
    waiting: int
    breached: list[Ticket]
    breached_count: int
    near: list[Ticket]
    near_count: int
    finished: list[Ticket]  # the latest finished, each with `within` (bool | None)
    by_estate: list[Row]
    by_category: list[Row]
    trend: list[MonthPoint]
    target_pct: int = TARGET_PCT


def open_breached_q(now: dt.datetime) -> Q:
    """An open ticket past a time limit: flagged by the sweep, or past its due instant already."""
    return Q(breached=True) | Q(resolution_due__lt=now) | Q(accepted_at__isnull=True, response_due__lt=now)


def open_near_q() -> Q:
    return Q(alerted__contains=["resolution.near"]) | Q(alerted__contains=["response.near"])


def latest_finished(*, scope: Scope, limit: int = SHOWN) -> list[Ticket]:
    """The repairs finished last in the caller's scope, the latest first. Read back from the timeline's
    "finished" events along their primary key (newest first, stopping at `limit` tickets), as the ticket table
    has no index on finished_at: a few index reads instead of a scan of every ticket."""
    events = TicketEvent.objects.filter(kind="finished", ticket__finished_at__isnull=False)
    if not scope.all_offices:
        events = events.filter(Q(ticket__office_id__in=scope.office_ids) | Q(ticket__estate_id__in=scope.estate_ids))
    ids: list[int] = []
    for ticket_id in events.order_by("-pk").values_list("ticket_id", flat=True)[: limit * 3]:
        if ticket_id not in ids:
            ids.append(ticket_id)
        if len(ids) == limit:
            break
    found = Ticket.objects.filter(pk__in=ids).select_related("category", "unit", "estate")
    return sorted(found, key=lambda t: (t.finished_at, t.pk), reverse=True)


def sla_dashboard(*, scope: Scope, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    month = this_month(now)
    visible = tickets_visible(scope=scope)
    open_qs = visible.filter(status__in=OPEN_STATUSES)
    related = ("category", "unit", "estate")
    breached_qs = open_qs.filter(open_breached_q(now))
    near_qs = open_qs.filter(open_near_q()).exclude(open_breached_q(now))
    counts = open_qs.aggregate(
        n_open=Count("pk"),
        n_waiting=Count("pk", filter=Q(waiting_since__isnull=False)),
        n_breached=Count("pk", filter=open_breached_q(now)),
        n_near=Count("pk", filter=open_near_q() & ~open_breached_q(now)),
    )
    finished = latest_finished(scope=scope)
    for t in finished:
        t.within = None if t.resolution_due is None else t.finished_at <= t.resolution_due  # type: ignore[attr-defined,operator]
    # One scan for the year: cells per (month, estate, category); this month's rows and the trend from them.
    year = ReportQuery(first_month=add_months(month, -11), months=12)
    cells = grouped_by(counted(scope=scope, query=year), ("month", "estate_id", "category_id"), now)
    current = {k: f for k, f in cells.items() if k[0] == month}
    by_estate_f, by_category_f = rolled_up(current, 1), rolled_up(current, 2)
    estate_names, category_names = _labels("estate_id", list(by_estate_f)), _labels("category_id", list(by_category_f))
    by_estate = sorted((Row(k, estate_names.get(k, str(k)), f) for k, f in by_estate_f.items()), key=lambda r: r.label)
    by_category = sorted(
        (Row(k, category_names.get(k, str(k)), f) for k, f in by_category_f.items()),
        key=lambda r: -r.figures.reported,
    )
    total = Figures()
    for row in by_estate:
        total.add(row.figures)
    by_month = rolled_up(cells, 0)
    trend = [MonthPoint(m, by_month.get(m, Figures())) for m in (add_months(year.first_month, i) for i in range(12))]
    return Dashboard(
        now=now,
        month=month,
        figures=total,
        open=counts["n_open"],
        waiting=counts["n_waiting"],
        breached=list(
            breached_qs.select_related(*related).order_by(F("resolution_due").asc(nulls_last=True), "pk")[:SHOWN]
        ),
        breached_count=counts["n_breached"],
        near=list(near_qs.select_related(*related).order_by(F("resolution_due").asc(nulls_last=True), "pk")[:SHOWN]),
        near_count=counts["n_near"],
        finished=finished,
        by_estate=by_estate,
        by_category=by_category,
        trend=trend,
    )

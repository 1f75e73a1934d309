"""Reading complaints: what a caller may see (staff: their data scope, by the complaint's office or estate;
residents: the complaints they filed — not their neighbours', not even of a shared home), the work queues,
and the monthly cause analysis (客户投诉分析: by cause, department and severity, the homes complained about
again and again, limits kept, satisfaction)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q, QuerySet

from backend.accounts.models import User
from backend.properties.models import Unit
from backend.properties.scope import Scope
from tenants.db import company_time_zone

from .complaint_models import OPEN_COMPLAINT, Cause, Complaint, ComplaintStatus, Department, Severity

QUEUES = ("mine", "team", "new", "revisits", "closed")


def complaints_visible(*, scope: Scope) -> QuerySet[Complaint]:
    qs = Complaint.objects.all()
    if scope.all_offices:
        return qs
    if scope.resident_user_id is not None:
        return qs.filter(complainant_id=scope.resident_user_id)
    return qs.filter(Q(office_id__in=scope.office_ids) | Q(estate_id__in=scope.estate_ids))


def complaint_get(*, scope: Scope, complaint_id: int) -> Complaint | None:
    return complaints_visible(scope=scope).select_related("estate", "unit", "handler").filter(pk=complaint_id).first()


def _order(qs: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return qs.order_by(F("breached").desc(), F("resolve_due").asc(nulls_last=True), "pk")


def complaint_queue(*, scope: Scope, user: User, queue: str) -> QuerySet[Complaint]:
    """mine: open and mine; team: open in the scope; new: not yet taken; revisits: resolved, the soonest
    revisit first; closed: the latest closed or withdrawn. Open ones: breaches first, then the soonest due."""
    qs = complaints_visible(scope=scope)
    if queue == "mine":
        return _order(qs.filter(handler_id=user.pk, status__in=OPEN_COMPLAINT))
    if queue == "new":
        return _order(qs.filter(status=ComplaintStatus.NEW))
    if queue == "revisits":
        return qs.filter(status=ComplaintStatus.RESOLVED).order_by(F("revisit_due").asc(nulls_last=True), "pk")
    if queue == "closed":
        return qs.filter(status__in=(ComplaintStatus.CLOSED, ComplaintStatus.WITHDRAWN)).order_by("-closed_at", "-pk")
    return _order(qs.filter(status__in=OPEN_COMPLAINT))


# --- the monthly analysis --------------------------------------------------------------------------------------


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of the next month) of `month` in the company's time zone."""
    tz = company_time_zone()
    start = dt.datetime(month.year, month.month, 1, tzinfo=tz)
    nxt = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=tz)
    return start, nxt


def month_parse(text: str | None, today: dt.date) -> dt.date:
    try:
        year, month = (int(x) for x in (text or "").split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


@dataclass
class Row:
    key: str
    label: str
    count: int
    previous: int = 0


@dataclass
class Recurring:
    unit: Unit
    count: int
    causes: list[str]


@dataclass
class Analysis:
    month: dt.date
    total: int
    previous_total: int
    by_cause: list[Row]
    by_department: list[Row]
    by_severity: list[Row]
    recurring_units: list[Recurring]
    recurring_causes: list[tuple[str, str, int]]  # (estate name, cause label, count) seen 3 times or more
    resolved: int
    on_time: int
    average_rating: float | None

    @property
    def on_time_percent(self) -> float | None:
        return round(100 * self.on_time / self.resolved, 1) if self.resolved else None

    @property
    def chart_max(self) -> int:
        return max([r.count for r in self.by_cause] + [r.previous for r in self.by_cause] + [1])


def _counts(qs: QuerySet[Complaint], field: str) -> dict[str, int]:
    return dict(qs.values(field).annotate(n=Count("pk")).values_list(field, "n"))


def complaint_analysis(*, scope: Scope, month: dt.date, recurring_at: int = 2) -> Analysis:
    """The month's complaints of the scope (by filing), against the month before: by cause (with the month
    before, for the chart), department and severity; homes complained about `recurring_at` times or more in the
    month; an estate's cause seen three times or more; how many were resolved that month within their limit;
    the average rating they got."""
    start, end = month_bounds(month)
    prev_start, _prev_end = month_bounds((start - dt.timedelta(days=1)).date())
    visible = complaints_visible(scope=scope).exclude(status=ComplaintStatus.WITHDRAWN)
    this = visible.filter(created_at__gte=start, created_at__lt=end)
    before = visible.filter(created_at__gte=prev_start, created_at__lt=start)
    causes, causes_before = _counts(this, "cause"), _counts(before, "cause")
    by_cause = sorted(
        (Row(c.value, str(c.label), causes.get(c.value, 0), causes_before.get(c.value, 0)) for c in Cause),
        key=lambda r: (-r.count, -r.previous, r.key),
    )
    departments = _counts(this, "department")
    by_department = [
        Row(d.value, str(d.label), departments.get(d.value, 0)) for d in Department if departments.get(d.value)
    ]
    if departments.get(""):
        by_department.append(Row("", "—", departments[""]))
    severities = _counts(this, "severity")
    by_severity = [Row(s.value, str(s.label), severities.get(s.value, 0)) for s in Severity]
    unit_rows = (
        this.filter(unit__isnull=False)
        .values("unit_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=recurring_at)
        .order_by("-n", "unit_id")[:50]
    )
    counts = {r["unit_id"]: r["n"] for r in unit_rows}
    units = Unit.objects.in_bulk(list(counts))
    cause_of: dict[int, set[str]] = {}
    for unit_id, cause in this.filter(unit_id__in=list(counts)).values_list("unit_id", "cause"):
        cause_of.setdefault(unit_id, set()).add(str(Cause(cause).label))
    recurring_units = [Recurring(units[u], n, sorted(cause_of.get(u, ()))) for u, n in counts.items() if u in units]
    recurring_causes = [
        (r["estate__name"], str(Cause(r["cause"]).label), r["n"])
        for r in this.values("estate__name", "cause").annotate(n=Count("pk")).filter(n__gte=3).order_by("-n")
    ]
    resolved = visible.filter(resolved_at__gte=start, resolved_at__lt=end)
    on_time = resolved.filter(Q(resolve_due__isnull=True) | Q(resolved_at__lte=F("resolve_due"))).count()
    average = visible.filter(resolved_at__gte=start, resolved_at__lt=end, rating__isnull=False).aggregate(
        a=Avg("rating")
    )["a"]
    return Analysis(
        month=month,
        total=this.count(),
        previous_total=before.count(),
        by_cause=by_cause,
        by_department=by_department,
        by_severity=by_severity,
        recurring_units=recurring_units,
        recurring_causes=recurring_causes,
        resolved=resolved.count(),
        on_time=on_time,
        average_rating=round(float(average), 2) if average is not None else None,
    )

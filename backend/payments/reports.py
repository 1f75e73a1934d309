"""Payment reports (收款报表) and the lists finance works from: payments in the caller's scope with filters, the
money received over a day range by day, method, cashier and channel with refunds and net, its .xlsx, and the
online payments whose webhook never arrived (follow-up).

A day is the company's local day (`received_at` in the active time zone); refunds count on the day they were
given (the ledger entry's `occurred_on`). Every figure is one GROUP BY over Payment or LedgerEntry, never
computed payment by payment. The month helpers, the money formatting and the workbook style come from
billing's reports so the two reports read alike."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from backend.billing.models import LedgerEntry, Payment
from backend.billing.money import yuan_plain
from backend.billing.periods import local_day_bounds, month_end, month_start
from backend.billing.report_charts import svg_number
from backend.errors import ApplicationError
from backend.gateway.models import WebhookEvent
from backend.gateway.webhooks import CLAIM_TIMEOUT
from backend.properties.models import Unit
from backend.properties.scope import Scope

from .models import OnlinePayment, PaymentSettings

MAX_DAYS = 366


# --- parameters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayRange:
    """From `start` to `end`, both included, company-local days."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The range as aware [start, end) datetimes in the company's time zone."""
        return local_day_bounds(self.start, self.end)

    def params(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def __str__(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def this_month(today: dt.date | None = None) -> DayRange:
    today = today or timezone.localdate()
    return DayRange(month_start(today), month_end(today))


def parse_day_range(params: Mapping[str, Any], *, today: dt.date | None = None) -> DayRange:
    """?start=YYYY-MM-DD&end=YYYY-MM-DD; either alone is a single day; neither is this month. Raises
    ApplicationError with field messages."""
    errors: dict[str, list[str]] = {}
    values: dict[str, dt.date | None] = {}
    for name in ("start", "end"):
        text = str(params.get(name) or "").strip()
        values[name] = None
        if text:
            try:
                values[name] = dt.date.fromisoformat(text)
            except ValueError:
                errors[name] = [_("Enter a date as YYYY-MM-DD.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    start, end = values["start"], values["end"]
    if start is None and end is None:
        return this_month(today)
    start = start or end
    end = end or start
    assert start is not None and end is not None
    if end < start:
        raise ApplicationError.for_fields({"end": [_("The last day comes after the first.")]})
    if (end - start).days + 1 > MAX_DAYS:
        raise ApplicationError.for_fields({"end": [_("A report covers at most %(n)s days.") % {"n": MAX_DAYS}]})
    return DayRange(start, end)


# --- payments in scope ---------------------------------------------------------------------------


def payments_in_scope(scope: Scope) -> QuerySet[Payment]:
    """Every payment of the units the caller may see."""
    qs = Payment.objects.all()
    if scope.is_resident:
        return qs.filter(unit__in=scope.filter_units(Unit.objects.all()))
    return qs.filter(scope.unit_q("unit__"))


def payment_list(
    *,
    scope: Scope,
    days: DayRange | None = None,
    method: str = "",
    channel: str = "",
    cashier_id: int | None = None,
    unit_text: str = "",
) -> QuerySet[Payment]:
    """Payments in scope, newest first, filtered by received day, method, channel, cashier (recorded_by)
    and unit (number or label)."""
    qs = payments_in_scope(scope)
    if days is not None:
        start, end = days.bounds()
        qs = qs.filter(received_at__gte=start, received_at__lt=end)
    if method:
        qs = qs.filter(method=method)
    if channel:
        qs = qs.filter(channel=channel)
    if cashier_id:
        qs = qs.filter(recorded_by_id=cashier_id)
    if text := unit_text.strip():
        qs = qs.filter(Q(unit__number__iexact=text) | Q(unit__label__icontains=text))
    return qs.select_related("unit", "recorded_by").order_by("-received_at", "-id")


def payment_totals(qs: QuerySet[Payment]) -> dict[str, int]:
    found = qs.order_by().aggregate(n=Count("id"), t=Sum("amount"))
    return {"count": int(found["n"] or 0), "amount": int(found["t"] or 0)}


def cashiers_in_scope(scope: Scope) -> list[tuple[int, str]]:
    """(user id, name) of everyone who recorded a payment the caller may see, by name."""
    rows = (
        payments_in_scope(scope)
        .filter(recorded_by__isnull=False)
        .values_list("recorded_by_id", "recorded_by__name")
        .distinct()
        .order_by("recorded_by__name", "recorded_by_id")
    )
    return [(int(pk), name or f"#{pk}") for pk, name in rows]


# --- the report ----------------------------------------------------------------------------------


@dataclass
class PaymentsSummary:
    days: DayRange
    count: int = 0
    amount: int = 0
    refund_count: int = 0
    refunded: int = 0
    by_day: list[dict[str, Any]] = field(default_factory=list)
    by_method: list[dict[str, Any]] = field(default_factory=list)
    by_cashier: list[dict[str, Any]] = field(default_factory=list)
    by_channel: list[dict[str, Any]] = field(default_factory=list)

    @property
    def net(self) -> int:
        """Received less refunded in the range."""
        return self.amount - self.refunded


def _with_bars(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adds `pct` (the row's amount against the largest, 0–100, as an SVG/CSS-safe string) for a bar."""
    peak = max((r["amount"] for r in rows), default=0) or 1
    for r in rows:
        r["pct"] = svg_number(100 * max(r["amount"], 0) / peak)
    return rows


def payments_summary(*, scope: Scope, days: DayRange) -> PaymentsSummary:
    """Money received in the range by day, method, cashier and channel (count and amount), refunds given in
    the range and the net. Four GROUP BY statements over Payment and one over the refund entries."""
    tz = timezone.get_current_timezone()
    qs = payment_list(scope=scope, days=days).order_by()
    totals = payment_totals(qs)
    summary = PaymentsSummary(days=days, count=totals["count"], amount=totals["amount"])

    found = {
        r["day"]: (int(r["n"]), int(r["t"]))
        for r in qs.annotate(day=TruncDate("received_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"), t=Sum("amount"))
    }
    refunds_by_day = {
        r["occurred_on"]: (int(r["n"]), int(r["t"]))
        for r in _refund_entries(scope, days).values("occurred_on").annotate(n=Count("id"), t=Sum("amount"))
    }
    day = days.start
    while day <= days.end:
        n, t = found.get(day, (0, 0))
        rn, rt = refunds_by_day.get(day, (0, 0))
        if n or rn:
            summary.by_day.append({"day": day, "count": n, "amount": t, "refund_count": rn, "refunded": rt})
        day += dt.timedelta(days=1)
    _with_bars(summary.by_day)
    summary.refund_count = sum(r[0] for r in refunds_by_day.values())
    summary.refunded = sum(r[1] for r in refunds_by_day.values())

    methods = dict(Payment.Method.choices)
    summary.by_method = _with_bars(
        [
            {
                "code": r["method"],
                "label": str(methods.get(r["method"], r["method"])),
                "count": r["n"],
                "amount": r["t"],
            }
            for r in qs.values("method").annotate(n=Count("id"), t=Sum("amount")).order_by("-t", "method")
        ]
    )
    channels = dict(Payment.Channel.choices)
    summary.by_channel = _with_bars(
        [
            {
                "code": r["channel"],
                "label": str(channels.get(r["channel"], r["channel"])),
                "count": r["n"],
                "amount": r["t"],
            }
            for r in qs.values("channel").annotate(n=Count("id"), t=Sum("amount")).order_by("-t", "channel")
        ]
    )
    summary.by_cashier = _with_bars(
        [
            {
                "code": r["recorded_by_id"],
                "label": (r["recorded_by__name"] or f"#{r['recorded_by_id']}")
                if r["recorded_by_id"]
                else _("Online (no cashier)"),
                "count": r["n"],
                "amount": r["t"],
            }
            for r in qs.values("recorded_by_id", "recorded_by__name")
            .annotate(n=Count("id"), t=Sum("amount"))
            .order_by("-t", "recorded_by__name")
        ]
    )
    return summary


def _refund_entries(scope: Scope, days: DayRange) -> QuerySet[LedgerEntry]:
    """Refund entries of the units in scope given in the range (refunds and voided receipts' reversals)."""
    qs = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.REFUND, occurred_on__gte=days.start, occurred_on__lte=days.end
    )
    if scope.is_resident:
        qs = qs.filter(unit__in=scope.filter_units(Unit.objects.all()))
    else:
        qs = qs.filter(scope.unit_q("unit__"))
    return qs.order_by()


def summary_xlsx(summary: PaymentsSummary) -> bytes:
    """The report as a workbook: totals, then one table each by day, method, cashier and channel; amounts
    as numbers in yuan with two decimals."""
    money_format = "#,##0.00"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Payments")[:31]
    ws.append([_("Payments received (收款报表)"), str(summary.days)])
    ws["A1"].font = bold
    money_cells = []
    for label, count, amount in (
        (_("Received"), summary.count, summary.amount),
        (_("Refunded"), summary.refund_count, summary.refunded),
        (_("Net"), None, summary.net),
    ):
        ws.append([label, count, yuan_plain(amount)])
        money_cells.append(ws.cell(row=ws.max_row, column=3))

    def table(title: str, first: str, rows: list[list[Any]], money_columns: tuple[int, ...]) -> None:
        ws.append([])
        ws.append([title])
        ws.cell(row=ws.max_row, column=1).font = bold
        ws.append([first, _("Payments"), _("Amount"), *([_("Refunds"), _("Refunded")] if len(rows[0]) > 3 else [])])
        for cell in ws[ws.max_row]:
            cell.font = bold
            cell.fill = fill
        for row in rows:
            ws.append(row)
            for column in money_columns:
                money_cells.append(ws.cell(row=ws.max_row, column=column))

    if summary.by_day:
        table(
            _("By day"),
            _("Day"),
            [
                [
                    r["day"].isoformat(),
                    r["count"],
                    yuan_plain(r["amount"]),
                    r["refund_count"],
                    yuan_plain(r["refunded"]),
                ]
                for r in summary.by_day
            ],
            (3, 5),
        )
    for title, first, rows in (
        (_("By method"), _("Method"), summary.by_method),
        (_("By cashier"), _("Cashier"), summary.by_cashier),
        (_("By channel"), _("Channel"), summary.by_channel),
    ):
        if rows:
            table(title, first, [[r["label"], r["count"], yuan_plain(r["amount"])] for r in rows], (3,))
    for cell in money_cells:
        cell.number_format = money_format
    for i, width in enumerate([28, 12, 16, 12, 16], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- follow-up -----------------------------------------------------------------------------------


def followup_online_payments(*, scope: Scope, now: dt.datetime | None = None) -> QuerySet[OnlinePayment]:
    """Online payments submitted more than PaymentSettings.followup_minutes ago that no webhook has spoken
    of yet, and that were not canceled: the periodic re-check should have caught them; finance looks."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=PaymentSettings.load().followup_minutes)
    qs = OnlinePayment.objects.filter(confirmed_at__lt=cutoff, webhook_at__isnull=True).exclude(
        status=OnlinePayment.Status.CANCELED
    )
    if scope.is_resident:
        qs = qs.filter(unit__in=scope.filter_units(Unit.objects.all()))
    else:
        qs = qs.filter(scope.unit_q("unit__"))
    return qs.select_related("unit", "user", "payment").order_by("confirmed_at", "id")


def webhook_events_to_review(schema_name: str) -> QuerySet[WebhookEvent]:
    """The company's webhook events that were flagged (unknown payment) or failed, or whose worker died while
    processing them (a claim past its timeout), newest first."""
    stale = Q(status=WebhookEvent.Status.PROCESSING, claimed_at__lt=timezone.now() - CLAIM_TIMEOUT)
    return WebhookEvent.objects.filter(
        Q(status__in=[WebhookEvent.Status.FLAGGED, WebhookEvent.Status.FAILED]) | stale, tenant_schema=schema_name
    ).order_by("-received_at", "-id")

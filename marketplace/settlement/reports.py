"""The staff's marketplace reports: sales and commission by merchant, by category or by month over a range of
months (the company's time zone), from the payables ledger (what was sold and refunded when, and the
commission kept net of what refunds gave back); a chart per month (server-rendered SVG geometry, as billing's
reports: no script, no CDN) and the same table as xlsx."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from backend.billing.money import yuan, yuan_plain
from backend.billing.periods import add_months, month_start
from backend.billing.report_charts import svg_number
from backend.errors import ApplicationError
from marketplace.models import Category, Merchant
from tenants.db import company_time_zone

from .models import STATEMENT_KINDS, EntryKind, PayableEntry

GROUPS = ("merchant", "category", "month")
MAX_MONTHS = 24


@dataclass
class Figures:
    sales_fen: int = 0
    refunds_fen: int = 0
    commission_fen: int = 0  # net of what refunds gave back
    orders: int = 0

    @property
    def net_sales_fen(self) -> int:
        return self.sales_fen - self.refunds_fen

    @property
    def merchant_fen(self) -> int:
        return self.net_sales_fen - self.commission_fen


@dataclass
class Row:
    key: str
    label: str
    figures: Figures


@dataclass
class Report:
    group: str
    start: dt.date
    end: dt.date
    rows: list[Row] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)
    months: list[Row] = field(default_factory=list)


def parse_month(text: str, default: dt.date) -> dt.date:
    if not text:
        return default
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise ApplicationError.for_fields({"month": [_("Give months as YYYY-MM.")]}) from exc


def report_query(params: Any, *, today: dt.date) -> tuple[str, dt.date, dt.date]:
    group = params.get("group") or "merchant"
    if group not in GROUPS:
        raise ApplicationError.for_fields({"group": [_("Group by merchant, category or month.")]})
    end = parse_month(params.get("end", ""), month_start(today))
    start = parse_month(params.get("start", ""), add_months(end, -5))
    if start > end:
        raise ApplicationError.for_fields({"start": [_("The first month is after the last.")]})
    if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        raise ApplicationError.for_fields({"start": [_("At most 24 months at a time.")]})
    return group, start, end


def _sums() -> dict[str, Any]:
    return {
        "sales": Sum("amount_fen", filter=Q(kind=EntryKind.SALE)),
        "refunds": Sum("amount_fen", filter=Q(kind=EntryKind.REFUND)),
        "commission": Sum("amount_fen", filter=Q(kind=EntryKind.COMMISSION)),
        "reversal": Sum("amount_fen", filter=Q(kind=EntryKind.COMMISSION_REVERSAL)),
        "orders": Count("order_id", filter=Q(kind=EntryKind.SALE), distinct=True),
    }


def _figures(row: Any) -> Figures:
    return Figures(
        sales_fen=int(row["sales"] or 0),
        refunds_fen=int(row["refunds"] or 0),
        commission_fen=int(row["commission"] or 0) - int(row["reversal"] or 0),
        orders=int(row["orders"] or 0),
    )


def marketplace_report(*, group: str, start: dt.date, end: dt.date, merchant_id: int | None = None) -> Report:
    tz = company_time_zone()
    lo = dt.datetime.combine(month_start(start), dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(add_months(month_start(end), 1), dt.time.min, tzinfo=tz)
    entries = PayableEntry.objects.filter(kind__in=STATEMENT_KINDS, occurred_at__gte=lo, occurred_at__lt=hi)
    if merchant_id is not None:
        entries = entries.filter(merchant_id=merchant_id)
    report = Report(group=group, start=month_start(start), end=month_start(end))
    by_month = {
        r["m"].date() if isinstance(r["m"], dt.datetime) else r["m"]: _figures(r)
        for r in entries.annotate(m=TruncMonth("occurred_at", tzinfo=tz)).values("m").annotate(**_sums())
    }
    month = report.start
    while month <= report.end:
        report.months.append(Row(f"{month:%Y-%m}", f"{month:%Y-%m}", by_month.get(month, Figures())))
        month = add_months(month, 1)
    if group == "month":
        report.rows = [r for r in report.months if r.figures.sales_fen or r.figures.refunds_fen]
    else:
        key = "merchant_id" if group == "merchant" else "category_code"
        grouped: dict[Any, Figures] = {r[key]: _figures(r) for r in entries.values(key).annotate(**_sums())}
        names: dict[Any, str]
        if group == "merchant":
            names = dict(Merchant.objects.filter(pk__in=list(grouped)).values_list("pk", "name"))
        else:
            names = {c.code: c.name for c in Category.objects.filter(code__in=list(grouped))}
        report.rows = sorted(
            (Row(str(k), str(names.get(k, k)), f) for k, f in grouped.items()),
            key=lambda r: (-r.figures.sales_fen, r.label),
        )
    total = entries.aggregate(**_sums())
    report.total = _figures(total)
    return report


def month_chart(report: Report) -> dict[str, Any] | None:
    """Per month: net sales (light bar) and the commission kept (dark bar), on one scale in yuan."""
    months = report.months
    if not any(m.figures.sales_fen or m.figures.refunds_fen for m in months):
        return None
    width, height, left, right, top, bottom = 360, 180, 8, 8, 14, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(1, *(max(m.figures.net_sales_fen, m.figures.commission_fen, 0) for m in months))
    slot = plot_w / len(months)
    bar_w = max(2.0, slot * 0.36)
    axis_y = top + plot_h
    bars = []
    for i, m in enumerate(months):
        x = left + i * slot + slot * 0.12
        sales_h = plot_h * max(0, m.figures.net_sales_fen) / peak
        comm_h = plot_h * max(0, m.figures.commission_fen) / peak
        bars.append(
            {
                "label": m.label[5:],
                "full": m.label,
                "sales": yuan(m.figures.net_sales_fen),
                "commission": yuan(m.figures.commission_fen),
                "x_s": svg_number(x),
                "y_s": svg_number(axis_y - sales_h),
                "h_s": svg_number(sales_h),
                "x_c": svg_number(x + bar_w),
                "y_c": svg_number(axis_y - comm_h),
                "h_c": svg_number(comm_h),
                "cx": svg_number(x + bar_w),
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "right_x": width - right,
        "axis_y": axis_y,
        "label_y": height - 6,
        "bar_w": svg_number(bar_w),
        "bars": bars,
        "peak": yuan(peak),
        "top": top,
    }


def report_xlsx(report: Report, group_label: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Sales and commission")[:31]
    bold = Font(bold=True)
    ws.append([_("Marketplace sales and commission"), f"{report.start:%Y-%m} – {report.end:%Y-%m}"])
    ws.append([])
    headers = [group_label, _("Orders"), _("Sales"), _("Refunds"), _("Net sales"), _("Commission"), _("To merchants")]
    ws.append(headers)
    for cell in ws[ws.max_row]:
        cell.font = bold

    def put(label: str, f: Figures) -> None:
        ws.append(
            [
                label,
                f.orders,
                *(
                    float(yuan_plain(v))
                    for v in (f.sales_fen, f.refunds_fen, f.net_sales_fen, f.commission_fen, f.merchant_fen)
                ),
            ]
        )
        for col in range(3, 8):
            ws.cell(row=ws.max_row, column=col).number_format = "#,##0.00"

    for row in report.rows:
        put(row.label, row.figures)
    put(_("Total"), report.total)
    for cell in ws[ws.max_row]:
        cell.font = bold
    ws.column_dimensions["A"].width = 26
    months = wb.create_sheet(_("By month")[:31])
    months.append([_("Month"), *headers[1:]])
    for row in report.months:
        f = row.figures
        months.append(
            [
                row.label,
                f.orders,
                *(
                    float(yuan_plain(v))
                    for v in (f.sales_fen, f.refunds_fen, f.net_sales_fen, f.commission_fen, f.merchant_fen)
                ),
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

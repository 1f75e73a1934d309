"""The service desk report (reports.py) as an .xlsx workbook: one sheet with the chosen grouping, one with the
months; percentages as numbers formatted as per cent, so they can be summed and charted in the sheet."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from .reports import DeskReport, Figures, group_labels

PCT = "0.0%"


def headers() -> list[str]:
    return [
        _("Reported"),
        _("Finished"),
        _("Open"),
        _("Within target"),
        _("Past target"),
        _("SLA attainment"),
        _("Response attainment"),
        _("Revisited"),
        _("Revisits on time"),
        _("Revisit rate"),
        _("Reopened"),
        _("Rated"),
        _("Average rating"),
        _("Satisfaction (4–5 stars)"),
    ]


def _share(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value) / 100, 4)


def figures_cells(f: Figures) -> list[object]:
    return [
        f.reported,
        f.finished,
        f.open,
        f.within,
        f.late,
        _share(f.attainment),
        _share(f.response_attainment),
        f.revisited,
        f.revisit_on_time,
        _share(f.revisit_rate),
        f.reopened,
        f.rated,
        None if f.average_rating is None else float(f.average_rating),
        _share(f.satisfaction),
    ]


PCT_COLUMNS = (7, 8, 11, 15)  # 1-based, with the label in column 1


def _append(ws: Worksheet, label: str, f: Figures, *, bold: bool = False) -> None:
    ws.append([label, *figures_cells(f)])
    r = ws.max_row
    for col in PCT_COLUMNS:
        ws.cell(row=r, column=col).number_format = PCT
    ws.cell(row=r, column=14).number_format = "0.00"
    if bold:
        for cell in ws[r]:
            cell.font = Font(bold=True)


def report_xlsx(report: DeskReport) -> bytes:
    bold = Font(bold=True)
    q = report.query
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    label = group_labels()[q.group]
    ws.title = label[:31]
    ws.append([_("Repairs report (报修统计)"), f"{q.first_month:%Y-%m} – {q.last_month:%Y-%m}"])
    ws["A1"].font = bold
    ws.append(
        [_("Tickets reported in these months, cancelled ones left out; counted at"), f"{report.now:%Y-%m-%d %H:%M}"]
    )
    ws.append([])
    ws.append([label, *headers()])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for row in report.rows:
        _append(ws, row.label, row.figures)
    _append(ws, _("Total"), report.total, bold=True)
    ws.column_dimensions["A"].width = 18
    months = wb.create_sheet(_("Months")[:31])
    months.append([_("Month"), *headers()])
    for cell in months[1]:
        cell.font = bold
    for point in report.months:
        _append(months, f"{point.month:%Y-%m}", point.figures)
    _append(months, _("Total"), report.total, bold=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

"""The club report (reports.py) as an .xlsx workbook: income and no-shows by facility and month, and the
utilisation heat map as a table."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .report_charts import weekday_labels
from .reports import ClubReport

MONEY = "#,##0.00"
PCT = "0%"


def report_xlsx(report: ClubReport) -> bytes:
    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Income")[:31]
    q = report.query
    ws.append([_("Club report (会所)"), f"{q.first_month:%Y-%m} – {q.last_month:%Y-%m}"])
    ws.append([_("Counted until"), report.until.isoformat()])
    ws["A1"].font = bold
    ws.append([])
    ws.append(
        [
            _("Facility"),
            _("Estate"),
            _("Month"),
            _("Bookings"),
            _("Fees paid"),
            _("Fees refunded"),
            _("Net income"),
            _("Checked in"),
            _("No-shows"),
            _("No-show rate"),
        ]
    )
    for cell in ws[ws.max_row]:
        cell.font = bold
    for row in report.rows:
        for m in [*row.months, row.total]:
            month = _("Total") if m is row.total else f"{m.month:%Y-%m}"
            pct = m.no_show_percent
            ws.append(
                [
                    row.name,
                    row.estate,
                    month,
                    m.bookings,
                    m.fees / 100,
                    m.refunded / 100,
                    m.income / 100,
                    m.checked_in,
                    m.no_shows,
                    None if pct is None else pct / 100,
                ]
            )
            r = ws.max_row
            for col in (5, 6, 7):
                ws.cell(row=r, column=col).number_format = MONEY
            ws.cell(row=r, column=10).number_format = PCT
            if m is row.total:
                for cell in ws[r]:
                    cell.font = bold
    t = report.total
    ws.append([_("All facilities"), "", _("Total"), t.bookings, t.fees / 100, t.refunded / 100, t.income / 100])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for col in (5, 6, 7):
        ws.cell(row=ws.max_row, column=col).number_format = MONEY
    for letter, width in zip("ABCDEFGHIJ", (18, 14, 10, 10, 12, 12, 12, 11, 10, 12), strict=True):
        ws.column_dimensions[letter].width = width

    heat = wb.create_sheet(_("Utilisation")[:31])
    heat.append([_("Utilisation by weekday and hour (places taken / places offered)")])
    heat["A1"].font = bold
    heat.append(["", *[f"{h:02d}:00" for h in report.heat.hours]])
    for label, cells in zip(weekday_labels(), report.heat.rows, strict=True):
        heat.append([label, *[None if c.percent is None else c.percent / 100 for c in cells]])
        for cell in heat[heat.max_row][1:]:
            cell.number_format = PCT
    heat.append([])
    heat.append([_("Facility"), _("Utilisation")])
    for row in report.rows:
        heat.append([row.name, None if row.utilisation is None else row.utilisation / 100])
        heat.cell(row=heat.max_row, column=2).number_format = PCT
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

"""The collection report (reports.py) as an .xlsx workbook, for finance staff to file or work on."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .money import yuan_plain
from .reports import CollectionReport, Figures, TrendPoint, group_labels


def report_xlsx(report: CollectionReport, trend: list[TrendPoint] | None = None) -> bytes:
    """The report table as a workbook: amounts as numbers in yuan (two decimals), the rate as a percentage;
    a second sheet with the monthly trend."""
    money_format = "#,##0.00"
    pct_format = "0.00%"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Collection")[:31]
    q = report.query
    ws.append([_("Collection report (收缴率)"), str(q.period)])
    ws.append([_("Grouped by"), group_labels()[q.group]])
    ws.append([_("Target collection rate"), report.target_pct / 100])
    ws.cell(row=3, column=2).number_format = "0%"
    ws.append([_("Prepaid and arrears as of"), report.cutoff.isoformat()])
    ws["A1"].font = bold
    ws.append([])
    headers = [
        group_labels()[q.group],
        _("Within"),
        _("Receivable (应收)"),
        _("Waived (减免)"),
        _("Due after waivers"),
        _("Collected (实收)"),
        _("Outstanding"),
        _("Collection rate (收缴率)"),
        _("Meets target"),
        _("Prepaid (预收)"),
        _("Arrears (欠费)"),
    ]
    ws.append(headers)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = bold
        cell.fill = fill

    def figures_row(label: str, context: str, f: Figures, meets: bool | None) -> list[Any]:
        rate = f.rate
        return [
            label,
            context,
            yuan_plain(f.receivable),
            yuan_plain(f.waived),
            yuan_plain(f.due),
            yuan_plain(f.collected),
            yuan_plain(f.outstanding),
            (rate / 100) if rate is not None else None,
            "" if meets is None else (_("yes") if meets else _("no")),
            yuan_plain(f.prepaid) if f.prepaid is not None else None,
            yuan_plain(f.arrears),
        ]

    for r in report.rows:
        ws.append(figures_row(r.label, r.context, r.figures, r.meets_target))
    ws.append(figures_row(_("Total"), "", report.totals, report.totals_meet_target))
    for cell in ws[ws.max_row]:
        cell.font = bold
    for row in ws.iter_rows(min_row=header_row + 1, max_row=ws.max_row):
        for cell in row[2:7] + row[9:11]:
            cell.number_format = money_format
        row[7].number_format = pct_format
    for i, width in enumerate([22, 18, 14, 12, 14, 14, 14, 12, 10, 14, 14], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    if trend:
        ts = wb.create_sheet(_("Trend")[:31])
        ts.append(
            [
                _("Month"),
                _("Receivable (应收)"),
                _("Waived (减免)"),
                _("Collected (实收)"),
                _("Collection rate (收缴率)"),
            ]
        )
        for cell in ts[1]:
            cell.font = bold
            cell.fill = fill
        for p in trend:
            rate = p.rate
            ts.append(
                [
                    f"{p.month:%Y-%m}",
                    yuan_plain(p.receivable),
                    yuan_plain(p.waived),
                    yuan_plain(p.collected),
                    (rate / 100) if rate is not None else None,
                ]
            )
        for row in ts.iter_rows(min_row=2):
            for cell in row[1:4]:
                cell.number_format = money_format
            row[4].number_format = pct_format
        for i in range(1, 6):
            ts.column_dimensions[get_column_letter(i)].width = 16
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()

"""A settlement statement (结算单) as PDF (reportlab, as billing's notices) and xlsx (openpyxl): the summary
(sales, refunds, commission, commission given back, net, carried in, amount due) and every entry on it."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from backend.billing.money import yuan, yuan_plain
from backend.billing.pdf import Paragraph, Spacer, mm, render, styles, table
from tenants.db import company_time_zone

from .models import SIGN, EntryKind, PayableEntry, Statement


def statement_entries(statement: Statement) -> list[PayableEntry]:
    return list(PayableEntry.objects.filter(statement_line__statement=statement).order_by("occurred_at", "id"))


def summary_rows(statement: Statement) -> list[tuple[str, int]]:
    return [
        (_("Sales"), statement.sales_fen),
        (_("Refunds"), -statement.refunds_fen),
        (_("Commission"), -statement.commission_fen),
        (_("Commission given back"), statement.reversal_fen),
        (_("Net"), statement.net_fen),
        (_("Carried from the previous statement"), statement.carried_in_fen),
        (_("Amount due"), statement.due_fen),
    ]


def _entry_row(e: PayableEntry) -> list[Any]:
    when = timezone.localtime(e.occurred_at, company_time_zone())
    return [
        f"{when:%Y-%m-%d %H:%M}",
        e.order_code,
        e.category_code,
        str(EntryKind(e.kind).label),
        SIGN[e.kind] * e.amount_fen,
    ]


def _headers() -> list[str]:
    return [_("Time"), _("Order"), _("Category"), _("Kind"), _("Amount")]


def statement_pdf(statement: Statement, *, company_name: str) -> bytes:
    st = styles()
    summary = [[_("Item"), _("Amount")]] + [[label, yuan(v)] for label, v in summary_rows(statement)]
    rows: list[list[Any]] = [_headers()]
    for e in statement_entries(statement):
        row = _entry_row(e)
        rows.append([*row[:4], yuan(row[4])])
    page = [
        Paragraph(_("Settlement statement (结算单)"), st["title"]),
        Paragraph(f"{company_name} · {statement.merchant_name} · {statement.month:%Y-%m}", st["subtitle"]),
        Spacer(1, 5 * mm),
        Paragraph(
            _("Statement %(code)s · %(status)s") % {"code": statement.code, "status": statement.get_status_display()},
            st["base"],
        ),
        Spacer(1, 3 * mm),
        table(summary, [70 * mm, 40 * mm]),
        Spacer(1, 5 * mm),
        table(rows, [34 * mm, 42 * mm, 28 * mm, 40 * mm, 30 * mm]),
        Spacer(1, 4 * mm),
        Paragraph(
            _(
                "Commission is each paid line's amount at its category's rate, rounded half-up to the fen. A "
                "refund gives back the commission on the refunded part. Refunds made after a month was settled "
                "are on the next statement; an amount below zero is carried to the next statement."
            ),
            st["small"],
        ),
    ]
    return render([page], title=statement.code)


def statement_xlsx(statement: Statement, *, company_name: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{statement.month:%Y-%m}"
    bold = Font(bold=True)
    ws.append([_("Settlement statement (结算单)"), company_name, statement.merchant_name, f"{statement.month:%Y-%m}"])
    ws.append([_("Statement"), statement.code, str(statement.get_status_display())])
    ws.append([])
    for label, value in summary_rows(statement):
        ws.append([label, float(yuan_plain(value))])
        ws.cell(row=ws.max_row, column=2).number_format = "#,##0.00"
    ws.append([])
    ws.append(_headers())
    for cell in ws[ws.max_row]:
        cell.font = bold
    for e in statement_entries(statement):
        row = _entry_row(e)
        ws.append([*row[:4], float(yuan_plain(row[4]))])
        ws.cell(row=ws.max_row, column=5).number_format = "#,##0.00"
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["D"].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

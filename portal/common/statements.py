"""A unit's statement (对账单), as staff and the residents living there both see it: the account, every bill
with its state (paid, unpaid, overdue), the ledger between two dates with a running balance, the deposits."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from django import forms
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backend.billing.models import BillLine
from backend.billing.money import yuan
from backend.billing.selectors import unit_account, unit_bills, unit_deposits, unit_statement
from backend.properties.models import Unit
from portal.common.forms import DATE_INPUT


class StatementFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end is before the start."))
        return data


def owed_of(line: Any) -> int:
    """What is still owed on a line annotated by selectors.lines_with_balances (fen)."""
    return int(line.owed)


def line_state(line: BillLine, today: dt.date) -> str:
    owed = owed_of(line)
    if owed <= 0:
        return "paid"
    return "overdue" if line.due_date < today else "unpaid"


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"  # what the date filter's "Y-m" writes


def bill_rows(lines: list[BillLine], *, today: dt.date, notice_unit: Unit | None = None) -> list[BillLine]:
    """The lines, each with what its row in portal/common/billing/_bills_table.html shows, worked out here
    once instead of by date filters, includes and {% url %} per row: `state` (paid, unpaid, overdue),
    `period_from` ("2026-07"), `period_to` (the last month when the line covers several, else ""), `due_on`
    ("2026-07-15") and, for a resident's own unit (`notice_unit`), `notice_url`: the month's fee notice."""
    notice_urls: dict[str, str] = {}
    for line in lines:
        row: Any = line
        row.state = line_state(line, today)
        row.period_from = _month(line.period_start)
        last = _month(line.period_end)
        row.period_to = last if last != row.period_from else ""
        row.due_on = line.due_date.isoformat()
        row.notice_url = ""
        if notice_unit is not None:
            month = row.period_from
            if month not in notice_urls:
                try:
                    notice_urls[month] = reverse("portal:billing-notice", args=[notice_unit.pk, month])
                except NoReverseMatch:
                    notice_urls[month] = ""
            row.notice_url = notice_urls[month]
    return lines


def statement_context(request: HttpRequest, unit: Unit, *, notice_links: bool = False) -> dict[str, Any]:
    """What a statement page shows, staff or resident: the account, every bill (unpaid first) with its
    state, the ledger between two dates with a running balance, and the deposits. `notice_links`: each bill's
    period links to the month's fee notice (a resident's own statement)."""
    today = timezone.localdate()
    filters = StatementFilterForm(request.GET or None)
    start = end = None
    if filters.is_bound and filters.is_valid():
        start, end = filters.cleaned_data.get("start"), filters.cleaned_data.get("end")
    bills = bill_rows(unit_bills(unit.pk), today=today, notice_unit=unit if notice_links else None)
    unpaid = [b for b in bills if owed_of(b) > 0]
    overdue = [b for b in unpaid if b.due_date < today]
    return {
        "unit": unit,
        "today": today,
        "account": unit_account(unit.pk),
        "bills": bills,
        "unpaid_total": sum(owed_of(b) for b in unpaid),
        "overdue_total": sum(owed_of(b) for b in overdue),
        "overdue_count": len(overdue),
        "statement": unit_statement(unit.pk, start=start, end=end),
        "deposits": unit_deposits(unit.pk),
        "filters": filters,
        "start": start,
        "end": end,
    }


def bills_compact_html(bills: list[BillLine]) -> SafeString:
    """The <tbody> rows of the compact bills table (a phone's three columns: item and period, owed, status)
    for lines prepared by `bill_rows`: the markup _bills_table.html wrote per row, built here, as a resident's
    bills page shows dozens of rows and the template engine spent ~0.2 ms on each. Every value is escaped with
    html.escape (what Django's autoescape does to text not marked safe), without format_html's per-argument
    lazy-string machinery."""
    if not bills:
        return format_html('<tr><td colspan="3" class="muted">{}</td></tr>', gettext("No bills yet."))
    late_fee, due = escape(gettext("Late fee (滞纳金)")), escape(gettext("due"))
    states = {
        "overdue": f'<span class="state state-overdue">{escape(gettext("Overdue"))}</span>',
        "unpaid": f'<span class="state state-unpaid">{escape(gettext("Unpaid"))}</span>',
        "paid": f'<span class="state state-paid">{escape(gettext("Paid"))}</span>',
    }
    of = gettext("of %(a)s")
    rows = []
    for line in bills:
        row: Any = line
        owed, charged = int(row.owed), int(row.charged)
        period_from = escape(str(row.period_from))
        period = (
            f'<a href="{escape(str(row.notice_url))}" data-notice>{period_from}</a>' if row.notice_url else period_from
        )
        if row.period_to:
            period = f"{period} – {escape(str(row.period_to))}"
        state = escape(str(row.state))
        item = f"{late_fee}: " if line.kind == "late_fee" else ""
        charged_text = escape(yuan(charged))
        part = f"<small>{escape(of % {'a': yuan(charged)})}</small>" if owed != charged else ""
        rows.append(
            f'<tr data-bill-line="{int(line.pk)}" data-state="{state}" class="is-{state}">\n'
            f"<td><span data-item>{item}{escape(str(line.fee_item.name))}</span>\n"
            f"<small>{period} · {due} {escape(str(row.due_on))}</small></td>\n"
            f'<td class="money"><b data-line-owed>{escape(yuan(owed))}</b>{part}'
            f"<span hidden data-charged>{charged_text}</span></td>\n"
            f"<td>{states.get(row.state, states['paid'])}</td>\n</tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value went through html.escape

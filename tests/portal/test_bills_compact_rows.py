"""The compact bills rows (portal/common/statements.py bills_compact_html), now written with f-strings and
html.escape, are what the format_html version wrote (kept here verbatim) for the same lines: a late fee, a
several-month period, a part payment, a notice link with a query string, and text needing escaping."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from backend.billing.models import BillLine, FeeItem
from backend.billing.money import yuan
from portal.common.statements import bills_compact_html


def old_bills_compact_html(bills: list[BillLine]) -> SafeString:
    """The <tbody> rows of the compact bills table (a phone's three columns: item and period, owed, status)
    for lines prepared by `bill_rows`: the markup _bills_table.html wrote per row, built here with
    format_html, as a resident's bills page shows dozens of rows and the template engine spent ~0.2 ms on
    each."""
    if not bills:
        return format_html('<tr><td colspan="3" class="muted">{}</td></tr>', gettext("No bills yet."))
    late_fee, due = gettext("Late fee (滞纳金)"), gettext("due")
    states = {
        "overdue": format_html('<span class="state state-overdue">{}</span>', gettext("Overdue")),
        "unpaid": format_html('<span class="state state-unpaid">{}</span>', gettext("Unpaid")),
        "paid": format_html('<span class="state state-paid">{}</span>', gettext("Paid")),
    }
    of = gettext("of %(a)s")
    rows = []
    for line in bills:
        row: Any = line
        owed, charged = int(row.owed), int(row.charged)
        period = (
            format_html('<a href="{}" data-notice>{}</a>', row.notice_url, row.period_from)
            if row.notice_url
            else conditional_escape(row.period_from)
        )
        if row.period_to:
            period = format_html("{} – {}", period, row.period_to)
        rows.append(
            format_html(
                '<tr data-bill-line="{}" data-state="{}" class="is-{}">\n'
                "<td><span data-item>{}{}</span>\n<small>{} · {} {}</small></td>\n"
                '<td class="money"><b data-line-owed>{}</b>{}<span hidden data-charged>{}</span></td>\n'
                "<td>{}</td>\n</tr>",
                line.pk,
                row.state,
                row.state,
                f"{late_fee}: " if line.kind == "late_fee" else "",
                line.fee_item.name,
                period,
                due,
                row.due_on,
                yuan(owed),
                format_html("<small>{}</small>", of % {"a": yuan(charged)}) if owed != charged else "",
                yuan(charged),
                states.get(row.state, states["paid"]),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - every part went through format_html


def _line(pk: int, kind: str, name: str, owed: int, charged: int, url: str, period_to: str, state: str) -> BillLine:
    line: Any = BillLine(pk=pk, kind=kind)
    line.fee_item = FeeItem(pk=1, name=name)
    line.owed, line.charged, line.notice_url, line.state = owed, charged, url, state
    line.period_from, line.period_to, line.due_on = "2026-07", period_to, "2026-07-15"
    return line  # type: ignore[no-any-return]


LINES = [
    _line(1, "charge", "物业<b>费", 10000, 10000, "/resident/bills/1/notice/2026-07/", "", "overdue"),
    _line(2, "late_fee", "垃圾\"&'费", 50, 300, "", "2026-09", "paid"),
    _line(3, "adhoc", "维修", 0, 0, "/a/?b=1&c=<2>", "", "unpaid"),
    _line(4, "charge", "水费", 1234, 5678, "", "", "something else"),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_rows_are_what_format_html_wrote(language: str) -> None:
    with translation.override(language):
        assert bills_compact_html(LINES) == old_bills_compact_html(LINES)
        assert bills_compact_html([]) == old_bills_compact_html([])
    assert "&lt;b&gt;" in bills_compact_html(LINES)

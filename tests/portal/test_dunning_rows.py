"""The arrears work list's rows, built in Python (portal/staff/dunning/rows.py), are the markup the template
loop wrote before (kept here verbatim), for the same rows: with and without an occupant, a phone masked or in
full, a contact with and without a promised date, a follow-up due or not, text needing escaping, and a contact
made just after midnight in the company's time zone (a day later than in UTC)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template import engines
from django.utils import timezone, translation

from backend.billing.arrears import ArrearsRow
from portal.staff.dunning.rows import arrears_rows_html

# portal/templates/portal/staff/dunning/arrears.html's table body before the rows moved to Python.
OLD_TBODY = """{% load i18n portal_extras %}<tbody>{% translate "Never" as never %}{% translate "Follow up now" as follow_up_now %}{% for row in page %}<tr data-unit-row="{{ row.unit_id }}">
<td><a href="{{ row.url }}">{{ row.unit_label }}</a></td>
<td>{% if row.occupant_name %}{{ row.occupant_name }}{% else %}<span class="muted">—</span>{% endif %}</td>
<td data-phone>{% if row.occupant_phone %}{% if full_view %}<a href="tel:{{ row.occupant_phone }}">{{ row.occupant_phone }}</a>{% else %}{{ row.occupant_phone|mask_phone }}{% endif %}{% else %}—{% endif %}</td>
<td data-amount>{{ row.amount|yuan }}</td>
<td>{{ row.oldest_period|ym }}</td>
<td data-days>{{ row.days_overdue }}</td>
<td>{% if row.last_contact_id %}{{ row.last_contacted_at|ymd }} · {{ row.last_category_label }}{% if row.last_promised_date %} ({{ row.last_promised_date|ymd }}){% endif %}{% else %}<span class="muted">{{ never }}</span>{% endif %}</td>
<td data-follow-up>{% if row.follow_up_due %}<strong>{{ follow_up_now }}</strong>{% else %}{{ row.next_follow_up|ymd }}{% endif %}</td>
</tr>{% empty %}<tr><td colspan="8" class="muted">{% translate "No unit in arrears matches." %}</td></tr>{% endfor %}</tbody>"""  # noqa: E501


def _row(unit_id: int, **kw: Any) -> ArrearsRow:
    values: dict[str, Any] = {
        "unit_id": unit_id,
        "amount": 123456,
        "lines": 2,
        "oldest_period": dt.date(2026, 3, 1),
        "oldest_due": dt.date(2026, 3, 10),
        "days_overdue": 95,
        "aging": {},
        "last_contact_id": None,
        "last_contacted_at": None,
        "last_category": "",
        "next_follow_up": None,
        "follow_up_due": True,
        "unit_label": f"阳光花园 1栋 {unit_id}",
        "occupant_name": "张三",
        "occupant_phone": "13812345678",
    }
    values.update(kw)
    row: Any = ArrearsRow(**values)
    row.url = f"/staff/billing/arrears/{unit_id}/"
    return row  # type: ignore[no-any-return]


ROWS = [
    _row(1),
    _row(2, occupant_name="", occupant_phone="", amount=5),
    _row(
        3,
        unit_label='<b>"金色" & 家园</b>',
        occupant_name="<script>x</script>",
        last_contact_id=7,
        last_contacted_at=dt.datetime(2026, 6, 30, 16, 30, tzinfo=dt.UTC),  # 2026-07-01 00:30 in Shanghai
        last_category="promised",
        last_promised_date=dt.date(2026, 7, 15),
        next_follow_up=dt.date(2026, 7, 16),
        follow_up_due=False,
    ),
    _row(
        4,
        last_contact_id=8,
        last_contacted_at=dt.datetime(2026, 7, 2, 3, 0, tzinfo=dt.UTC),
        last_category="unreachable",
        next_follow_up=dt.date(2026, 7, 3),
        follow_up_due=True,
        occupant_phone="12345",
    ),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("full_view", [False, True])
def test_the_python_rows_are_what_the_template_wrote(language: str, full_view: bool) -> None:
    old = engines["django"].from_string(OLD_TBODY)
    with translation.override(language), timezone.override("Asia/Shanghai"):
        expected = old.render({"page": ROWS, "full_view": full_view})
        built = f"<tbody>{arrears_rows_html(ROWS, full_view=full_view)}</tbody>"
    assert built == expected
    assert "2026-07-01 · " in built and "&lt;script&gt;" in built and "<script>" not in built
    assert ("tel:13812345678" in built) is full_view
    assert ("138****5678" in built) is not full_view


def test_no_rows_leave_the_template_to_say_so() -> None:
    assert arrears_rows_html([], full_view=True) == ""

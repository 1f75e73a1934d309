"""The staff unit list's rows, built in Python (portal/staff/registry/rows.py), are the markup the template loop
wrote before (kept here verbatim), for the same units: with and without the selection checkbox, a unit with no
floor, text needing escaping, in both languages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.template import engines
from django.utils import translation

from backend.properties.models import Unit
from portal.staff.registry.rows import unit_rows_html

# portal/templates/portal/staff/registry/units.html's table body before the rows moved to Python.
OLD_TBODY = """{% load i18n %}<tbody>{% for u in page %}<tr>{% if can_write %}<td><input type="checkbox" name="unit_ids" value="{{ u.pk }}" aria-label="{{ u.label }}"></td>{% endif %}
<td><a href="{{ u.url }}">{{ u.label }}</a></td><td>{{ u.floor }}</td><td>{{ u.area }}</td><td>{{ u.type_label }}</td><td>{{ u.status_label }}</td></tr>
{% empty %}<tr><td colspan="6" class="muted">{% translate "No units match." %}</td></tr>{% endfor %}</tbody>"""  # noqa: E501


def _unit(pk: int, **kw: Any) -> Unit:
    values: dict[str, Any] = {"number": str(pk), "floor": 12, "area": Decimal("88.50"), "label": f"阳光花园 1栋 {pk}"}
    values.update(kw)
    unit: Any = Unit(pk=pk, **values)
    unit.url = f"/staff/registry/units/{pk}/"
    unit.type_label, unit.status_label = "住宅", "自住"
    return unit  # type: ignore[no-any-return]


UNITS = [
    _unit(1),
    _unit(12345, floor=None, area=Decimal("120")),
    _unit(7, label='<b>"金色" & 家园</b> 1201', area=Decimal("0.05"), floor=-2),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("can_write", [False, True])
def test_the_python_rows_are_what_the_template_wrote(language: str, can_write: bool) -> None:
    old = engines["django"].from_string(OLD_TBODY)
    with translation.override(language):
        expected = old.render({"page": UNITS, "can_write": can_write})
        built = f"<tbody>{unit_rows_html(UNITS, can_write=can_write)}</tbody>"
    assert built == expected
    assert "&lt;b&gt;" in built and "<b>" not in built and "88.50" in built
    assert ('name="unit_ids" value="12345"' in built) is can_write


def test_no_units_leave_the_template_to_say_so() -> None:
    assert unit_rows_html([], can_write=True) == ""

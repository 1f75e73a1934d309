"""The staff unit list's table rows, built in Python.

A page shows 50 units; through the template engine each of their seven values went through variable
resolution, localisation (number_format for the floor, the area and the id) and autoescaping, about two thirds
of the page's time. This writes the markup units.html wrote per row (tests/portal/test_registry_rows.py
compares the two on the same units), every value escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe


def _number_writer() -> Callable[[Any], str]:
    """How the template would write a number in the active language: str() when that is what localisation
    gives (a "." decimal separator and no thousands separator, as for Chinese and English), else Django's."""
    if formats.get_format("DECIMAL_SEPARATOR") == "." and not settings.USE_THOUSAND_SEPARATOR:
        return str
    return formats.localize  # type: ignore[no-any-return]


def unit_rows_html(units: Sequence[Any], *, can_write: bool) -> SafeString:
    """The <tr> of each unit (with its `url`, `type_label` and `status_label`), as one safe string; "" for
    none (the template says that nothing matches). `can_write`: a selection checkbox per row. Every value is
    escaped with html.escape, as Django's autoescape does for text that is not already marked safe (none of
    these is), without format_html's per-argument lazy-string machinery."""
    if not units:
        return mark_safe("")  # noqa: S308 - empty
    number = _number_writer()
    labels: dict[Any, str] = {}  # a lazy label (a choice's) is translated once per page, not once per row

    def label(value: Any) -> str:
        if value not in labels:
            labels[value] = escape(str(value))
        return labels[value]

    out = []
    for u in units:
        text = escape(str(u.label))
        check = (
            f'<td><input type="checkbox" name="unit_ids" value="{escape(number(u.pk))}" aria-label="{text}"></td>'
            if can_write
            else ""
        )
        floor = "None" if u.floor is None else escape(number(u.floor))
        area = "None" if u.area is None else escape(number(u.area))
        out.append(
            f'<tr>{check}\n<td><a href="{escape(str(u.url))}">{text}</a></td><td>{floor}</td><td>{area}</td>'
            f"<td>{label(u.type_label)}</td><td>{label(u.status_label)}</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value went through html.escape

"""The staff unit list's table rows, built in Python.

A page shows 50 units; through the template engine each of their seven values went through variable
resolution, localisation (number_format for the floor, the area and the id) and autoescaping, about two thirds
of the page's time. This writes the markup units.html wrote per row (tests/portal/test_registry_rows.py
compares the two on the same units), every value escaped by format_html."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def _number_writer() -> Callable[[Any], str]:
    """How the template would write a number in the active language: str() when that is what localisation
    gives (a "." decimal separator and no thousands separator, as for Chinese and English), else Django's."""
    if formats.get_format("DECIMAL_SEPARATOR") == "." and not settings.USE_THOUSAND_SEPARATOR:
        return str
    return formats.localize  # type: ignore[no-any-return]


def unit_rows_html(units: Sequence[Any], *, can_write: bool) -> SafeString:
    """The <tr> of each unit (with its `url`, `type_label` and `status_label`), as one safe string; "" for
    none (the template says that nothing matches). `can_write`: a selection checkbox per row."""
    if not units:
        return mark_safe("")  # noqa: S308 - empty
    number = _number_writer()
    out = []
    for u in units:
        check = (
            format_html(
                '<td><input type="checkbox" name="unit_ids" value="{}" aria-label="{}"></td>', number(u.pk), u.label
            )
            if can_write
            else ""
        )
        out.append(
            format_html(
                '<tr>{}\n<td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n',
                check,
                u.url,
                u.label,
                "None" if u.floor is None else number(u.floor),
                "None" if u.area is None else number(u.area),
                u.type_label,
                u.status_label,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - every part went through format_html

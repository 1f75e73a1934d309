"""The portal's form renderer writes <select> and <input> in Python: the markup must be the very string
Django's widget templates write, for every kind of value and attribute."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from portal.common.form_renderer import PortalFormRenderer

AWKWARD = ["<b>\"x\" & 'y'</b>", mark_safe("<i>safe</i>"), "", "中文", 0, 12, Decimal("1.50"), None]
CHOICES: list[Any] = [
    ("", "—"),
    (1, "one"),
    ("2", gettext_lazy("Unit")),
    ("<3>", '<b>"three"</b>'),
    ("safe", mark_safe("<em>safe</em>")),
    ("Group <g>", [(4, "four"), (5, "five & six")]),
    (7, 7),
]
ATTRS: list[dict[str, Any]] = [
    {},
    {"id": "id_x", "class": "a b", "required": True, "disabled": False},
    {"placeholder": '0.00 "yuan" <¥>', "inputmode": "decimal", "data-x": None, "autofocus": True},
    {"aria-label": mark_safe("<safe>"), "min": 0, "step": Decimal("0.01")},
]

WIDGETS: list[tuple[forms.Widget, list[Any]]] = [
    (forms.Select(choices=CHOICES), [None, "", 1, "1", "<3>", 4, "nothing", "safe"]),
    (forms.SelectMultiple(choices=CHOICES), [None, [], [1, "<3>"], ["5", 7]]),
    (forms.NullBooleanSelect(), [None, True, False, "unknown"]),
    (forms.TextInput(), AWKWARD),
    (forms.NumberInput(), [None, 0, 12, Decimal("3.25")]),
    (forms.EmailInput(), [None, "a@b.cn"]),
    (forms.PasswordInput(render_value=True), [None, "p<w>d"]),
    (forms.HiddenInput(), AWKWARD),
    (forms.DateInput(attrs={"type": "date"}), [None, dt.date(2026, 7, 15), "2026-07-15", "nonsense"]),
    (forms.DateTimeInput(), [None, dt.datetime(2026, 7, 15, 8, 30)]),
    (forms.TimeInput(), [None, dt.time(8, 30)]),
    (forms.CheckboxInput(), [None, True, False, "on", ""]),
    (forms.URLInput(), [None, "https://example.com/?a=1&b=<2>"]),
    (forms.SearchInput(), [None, "q"]),
    (forms.TelInput(), [None, "138 0000 0000"]),
    (forms.ColorInput(), [None, "#ff0000"]),
    (forms.FileInput(), [None]),
]


@pytest.mark.parametrize(("widget", "values"), WIDGETS, ids=[type(w).__name__ for w, _v in WIDGETS])
def test_each_widget_is_written_as_its_template_writes_it(widget: forms.Widget, values: list[Any]) -> None:
    ours, django = PortalFormRenderer(), DjangoTemplates()
    for value in values:
        for attrs in ATTRS:
            for name in ("field", 'odd"<name>'):
                assert widget.render(name, value, attrs, renderer=ours) == widget.render(
                    name, value, attrs, renderer=django
                ), (value, attrs, name)


def test_other_widgets_still_go_through_their_templates() -> None:
    radio = forms.RadioSelect(choices=[(1, "a"), (2, "b")])
    date = forms.SelectDateWidget(years=[2026])
    for widget, value in ((radio, 1), (date, dt.date(2026, 7, 1))):
        assert widget.render("f", value, renderer=PortalFormRenderer()) == widget.render(
            "f", value, renderer=DjangoTemplates()
        )


def test_the_portal_renders_forms_with_it() -> None:
    assert isinstance(get_default_renderer(), PortalFormRenderer)

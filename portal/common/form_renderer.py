"""The form renderer (settings.FORM_RENDERER): Django's, with the commonest widgets written out in Python.

Django renders each widget through templates: a <select> is select.html, which includes select_option.html
and attrs.html for every option, so a filter bar of six selects costs a few milliseconds a page. The
markup of <select> and <input> is fixed, so here it is built with the same escaping the templates apply, to
the same string (tests/portal/test_form_renderer.py compares the two over every widget of the portal's
forms and a set of awkward values). Anything else (radio lists, multi-widgets, a widget with its own
template) goes through the templates as before.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
# Widget templates that are exactly `{% include "django/forms/widgets/input.html" %}`.
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)


def _shown(value: Any) -> str:
    """`{{ value }}` with autoescape on."""
    return str(conditional_escape(localize(template_localtime(value))))


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` with autoescape on (the filter is is_safe: safe input stays unescaped)."""
    out = str(value)  # what "%s" % value writes (the filter turns a tuple into its str() first, the same)
    return out if isinstance(value, SafeData) else str(escape(out))


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_shown(name)}" if value is True else f' {_shown(name)}="{_formatted(value)}"')
    return "".join(parts)


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != OPTION:
                return None
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_shown(option['label'])}</option>\n"  # select_option.html ends with a newline
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


class PortalFormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict):
            html = None
            if template_name == SELECT:
                html = _select(widget)
            elif template_name in INPUTS:
                html = _input(widget)
            if html is not None:
                return html
        return super().render(template_name, context, request=request)  # type: ignore[no-any-return]

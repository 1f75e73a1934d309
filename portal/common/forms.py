"""What every portal form shares. Forms collect input; services decide, and their field errors are put back on
the form (add_service_errors). Each area keeps its own forms in its forms.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.errors import ApplicationError

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(form: forms.BaseForm, error: ApplicationError) -> None:
    """The service's errors on the form: each on its field, or above the form when the form has no such
    field (say ``person`` on a move-in form), so no message the service gave is lost."""
    unplaced = [message for field, messages in error.fields.items() if field not in form.fields for message in messages]
    for field, messages in error.fields.items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
    if unplaced:
        for message in unplaced:
            form.add_error(None, message)
    elif not error.fields:
        form.add_error(None, error.message)


class ServiceValidatedForm(forms.Form):
    """The service checks every field and reports all errors at once, so nothing is required here."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


def set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _id_names(qs: Any) -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in qs.values_list("pk", "name")]


def scoped_choices(scope, model: str, blank: str | None = None) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from backend.properties import selectors

    # Only the ids and names (values_list): a filter bar on every list page should not build model objects.
    rows = {
        "office": lambda: _id_names(selectors.office_list(scope=scope).order_by("name")),
        "estate": lambda: _id_names(selectors.estate_list(scope=scope).order_by("name")),
        "building": lambda: [
            (str(pk), f"{estate} {name}")
            for pk, estate, name in selectors.building_list(scope=scope)
            .order_by("estate__name", "name")
            .values_list("pk", "estate__name", "name")
        ],
    }[model]()
    return ([("", blank)] if blank is not None else []) + rows


class IntListField(forms.CharField):
    def to_python(self, value):  # type: ignore[no-untyped-def]
        text = super().to_python(value) or ""
        try:
            return sorted({int(p) for p in text.replace("，", ",").replace(" ", ",").split(",") if p.strip()})
        except ValueError as exc:
            raise forms.ValidationError(_("List floor numbers separated by commas, e.g. 4, 13.")) from exc

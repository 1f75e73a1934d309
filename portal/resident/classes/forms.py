"""The enrolment form: which home (when the resident has several) and for whom (empty: themself)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class EnrolForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("For the home"), coerce=int)
    participant = forms.CharField(
        label=_("Participant"),
        max_length=40,
        required=False,
        help_text=_("Who attends, e.g. a child of the home; leave empty for yourself."),
    )

    def __init__(self, *args: Any, homes: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        field.choices = [(h.pk, f"{h.estate.name} {h.label}") for h in homes]  # type: ignore[attr-defined]
        if len(homes) == 1:
            field.initial = homes[0].pk
            field.widget = forms.HiddenInput()

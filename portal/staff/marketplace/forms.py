"""Forms of the staff marketplace pages. They collect input; marketplace.vetting and marketplace.moderation
decide, and their field errors come back onto the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.vetting import REASON_MAX


class ApproveForm(forms.Form):
    """Estates and categories as checkboxes, prefilled with what the merchant asked for."""

    estate_ids = forms.TypedMultipleChoiceField(
        label=_("Estates"), coerce=int, widget=forms.CheckboxSelectMultiple, required=False
    )
    category_codes = forms.MultipleChoiceField(
        label=_("Categories"), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args: Any, estates: list[tuple[int, str]], categories: list[tuple[str, str]], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["estate_ids"].choices = estates  # type: ignore[attr-defined]
        self.fields["category_codes"].choices = categories  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the merchant is told it)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

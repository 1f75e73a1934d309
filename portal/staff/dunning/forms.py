"""Forms of the arrears pages: the work list's filters, logging a contact, the demand letter's deadline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.billing.arrears import BUCKET_LABELS, BUCKETS, ArrearsFilters
from backend.billing.models import DunningContact, FeeItem
from backend.billing.money import parse_yuan
from backend.properties import selectors as registry
from backend.properties.scope import Scope
from portal.common.forms import DATE_INPUT, ServiceValidatedForm


class ArrearsFilterForm(forms.Form):
    estate = forms.ChoiceField(label=gettext_lazy("Estate"), required=False)
    building = forms.ChoiceField(label=gettext_lazy("Building"), required=False)
    fee_item = forms.ChoiceField(label=gettext_lazy("Fee item"), required=False)
    min_amount = forms.CharField(
        label=gettext_lazy("Owes at least (¥)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )
    bucket = forms.ChoiceField(
        label=gettext_lazy("Overdue (days)"),
        required=False,
        choices=[("", "—"), *((b, BUCKET_LABELS[b]) for b in BUCKETS)],
    )
    follow_up_due = forms.BooleanField(label=gettext_lazy("Follow-up due only"), required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        estates = registry.estate_list(scope=scope).order_by("name").values_list("pk", "name")
        buildings = (
            registry.building_list(scope=scope)
            .order_by("estate__name", "name")
            .values_list("pk", "estate__name", "name")
        )
        items = (
            FeeItem.objects.filter(office__in=registry.office_list(scope=scope))
            .order_by("name", "id")
            .values_list("pk", "name")
        )
        self._choices("estate", [(str(pk), name) for pk, name in estates])
        self._choices("building", [(str(pk), f"{estate} {name}") for pk, estate, name in buildings])
        self._choices("fee_item", [(str(pk), name) for pk, name in items])

    def _choices(self, name: str, rows: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *rows]

    def clean_min_amount(self) -> int | None:
        raw = self.cleaned_data.get("min_amount") or ""
        if not raw.strip():
            return None
        try:
            return parse_yuan(raw)
        except ValueError as error:
            raise forms.ValidationError(_(str(error))) from None

    def filters(self) -> ArrearsFilters:
        if not self.is_bound:
            return ArrearsFilters()
        data = self.cleaned_data if self.is_valid() else {}

        def num(name: str) -> int | None:
            return int(data[name]) if data.get(name) else None

        return ArrearsFilters(
            estate_id=num("estate"),
            building_id=num("building"),
            fee_item_id=num("fee_item"),
            min_amount=data.get("min_amount"),
            bucket=data.get("bucket") or "",
            follow_up_due=bool(data.get("follow_up_due")),
        )


class DunningContactForm(ServiceValidatedForm):
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=[("", "—"), *DunningContact.Channel.choices])
    contact_name = forms.CharField(label=gettext_lazy("Spoke with"), max_length=60)
    category = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=[("", "—"), *DunningContact.Category.choices])
    promised_date = forms.DateField(
        label=gettext_lazy("Promised payment date"),
        widget=DATE_INPUT,
        help_text=gettext_lazy("Only for a promise to pay; we remind you the day before."),
    )
    summary = forms.CharField(
        label=gettext_lazy("What was said"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class LetterForm(forms.Form):
    deadline = forms.DateField(label=gettext_lazy("Pay by"), required=False, widget=DATE_INPUT)

"""Portal forms for meters and readings (抄表). They collect input; backend/billing/meters.py decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.billing import meters
from backend.billing.models import MeterKind, MeterReading
from backend.properties.scope import Scope
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import READINGS_IMPORT
from portal.common.forms import IntListField, ServiceValidatedForm, scoped_choices, set_choices

MONTH = forms.TextInput(attrs={"type": "month", "placeholder": "2026-07"})
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DECIMAL = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


def _fee_item_choices(scope: Scope) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(i.pk), f"{i.office.name} · {i.name}") for i in meters.shared_meter_items(scope=scope)]


class MeterFilterForm(forms.Form):
    q = forms.CharField(label=_("Meter number contains"), required=False)
    estate = forms.ChoiceField(label=_("Estate"), required=False)
    building = forms.ChoiceField(label=_("Building"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "—"), *MeterKind.choices])
    shared = forms.ChoiceField(
        label=_("Unit or shared"),
        required=False,
        choices=[("", "—"), ("unit", _("Unit meters")), ("shared", _("Shared meters (公摊)"))],
    )
    active = forms.ChoiceField(
        label=_("In use"), required=False, choices=[("1", _("In use")), ("0", _("Not in use")), ("", _("All"))]
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "estate", scoped_choices(scope, "estate", "—"))
        set_choices(self, "building", scoped_choices(scope, "building", "—"))


class UnitMeterForm(ServiceValidatedForm):
    building = forms.ChoiceField(label=_("Building"))
    unit_number = forms.CharField(label=_("Unit number"), max_length=20, help_text=_("e.g. 1201"))
    kind = forms.ChoiceField(label=_("Kind"), choices=MeterKind.choices)
    number = forms.CharField(label=_("Meter number"), max_length=40, help_text=_("unique in the estate"))
    multiplier = forms.CharField(label=_("Multiplier"), initial="1", max_length=20, widget=DECIMAL)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "building", scoped_choices(scope, "building", "—"))


class SharedMeterForm(ServiceValidatedForm):
    estate = forms.ChoiceField(label=_("Estate"))
    kind = forms.ChoiceField(label=_("Kind"), choices=MeterKind.choices)
    number = forms.CharField(label=_("Meter number"), max_length=40, help_text=_("unique in the estate"))
    fee_item = forms.ChoiceField(
        label=_("Fee item"), help_text=_("an item charged by shared meter (公摊), apportioned by building area")
    )
    building_ids = forms.MultipleChoiceField(
        label=_("Buildings that share it"), required=False, widget=forms.CheckboxSelectMultiple
    )
    unit_ids = IntListField(
        label=_("Or single units (ids)"), required=False, help_text=_("unit ids separated by commas, e.g. 12, 15")
    )
    multiplier = forms.CharField(label=_("Multiplier"), initial="1", max_length=20, widget=DECIMAL)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "estate", scoped_choices(scope, "estate", "—"))
        set_choices(self, "fee_item", _fee_item_choices(scope))
        set_choices(self, "building_ids", scoped_choices(scope, "building"))

    def clean_unit_ids(self) -> list[int]:
        value = self.cleaned_data.get("unit_ids") or []
        return list(value)


class MeterEditForm(ServiceValidatedForm):
    number = forms.CharField(label=_("Meter number"), max_length=40)
    multiplier = forms.CharField(label=_("Multiplier"), max_length=20, widget=DECIMAL)
    is_active = forms.BooleanField(label=_("In use"), required=False)


class ReadingForm(ServiceValidatedForm):
    period = forms.CharField(label=_("Month"), widget=MONTH)
    reading = forms.CharField(label=_("Reading"), max_length=30, widget=DECIMAL)
    read_on = forms.DateField(label=_("Read on"), widget=DATE)
    starting = forms.CharField(
        label=_("Starting reading"),
        max_length=30,
        widget=DECIMAL,
        help_text=_("only for the meter's first reading; without it the first month's usage is 0"),
    )


class GridForm(forms.Form):
    building = forms.ChoiceField(label=_("Building"))
    month = forms.CharField(label=_("Month"), widget=MONTH)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *MeterKind.choices])

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "building", scoped_choices(scope, "building", "—"))


class ReadingsImportForm(forms.Form):
    file = UploadFormField(kind=READINGS_IMPORT, label=_(".xlsx file"))


STATUS_CHOICES = MeterReading.Status.choices

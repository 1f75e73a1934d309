"""Forms of the core billing pages (fee setup, bill runs, statements). They collect and parse input; the
billing services decide, and their field errors are put back on the form (portal.forms.add_service_errors)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.billing.models import ChargeMethod, Cycle, FeeCategory, LateFeeMode, MeterKind
from backend.billing.money import parse_yuan
from backend.billing.periods import parse_period
from backend.properties import selectors as registry
from backend.properties.models import UnitType
from backend.properties.scope import Scope

from .forms import ServiceValidatedForm, set_choices

MONTH_INPUT = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "inputmode": "numeric"})
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def month_or_error(form: forms.Form, field: str) -> dt.date | None:
    """Parse a YYYY-MM field; put a readable error on it when it is not a month."""
    text = (form.cleaned_data.get(field) or "").strip()
    if not text:
        form.add_error(field, _("Enter a month as YYYY-MM."))
        return None
    try:
        return parse_period(text)
    except ValueError:
        form.add_error(field, _("Enter a month as YYYY-MM."))
        return None


def _yuan_field(form: forms.Form, name: str, *, blank: Any) -> Any:
    raw = (form.cleaned_data.get(name) or "").strip()
    if not raw:
        return blank
    try:
        return parse_yuan(raw)
    except ValueError:
        raise forms.ValidationError(_("Enter an amount in yuan, e.g. 128.50.")) from None


def office_choices(scope: Scope) -> list[tuple[str, str]]:
    """Offices the caller manages as a whole (fee items and office-wide runs): a scope that names only some
    of an office's estates does not make its holder manage the office."""
    offices = registry.office_list(scope=scope)
    if not scope.all_offices:
        offices = offices.filter(pk__in=scope.office_ids)
    return [(str(o.pk), o.name) for o in offices.order_by("name")]


def estate_choices(scope: Scope) -> list[tuple[str, str]]:
    return [(str(e.pk), e.name) for e in registry.estate_list(scope=scope).order_by("name")]


def building_choices(scope: Scope) -> list[tuple[str, str]]:
    return [
        (str(b.pk), f"{b.estate.name} {b.name}")
        for b in registry.building_list(scope=scope).order_by("estate__name", "name")
    ]


class _LateFeeFields(ServiceValidatedForm):
    late_fee_mode = forms.ChoiceField(label=_("Late fee (滞纳金)"), choices=LateFeeMode.choices)
    late_fee_fixed = forms.CharField(
        label=_("Fixed late fee (yuan)"), max_length=20, help_text=_("for a fixed late fee, e.g. 20.00")
    )
    late_fee_daily_percent = forms.DecimalField(
        label=_("Late fee % per day"), max_digits=7, decimal_places=4, help_text=_("e.g. 0.03 for 0.03% a day")
    )
    late_fee_grace_days = forms.IntegerField(label=_("Grace days after the due date"), min_value=0, max_value=365)
    late_fee_cap = forms.CharField(label=_("Late fee cap (yuan)"), max_length=20, help_text=_("blank: no cap"))

    def clean_late_fee_fixed(self) -> int:
        return int(_yuan_field(self, "late_fee_fixed", blank=0))

    def clean_late_fee_cap(self) -> int | None:
        value = _yuan_field(self, "late_fee_cap", blank=None)
        return None if value is None else int(value)

    def late_fee_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "late_fee_mode": d.get("late_fee_mode") or LateFeeMode.OFF,
            "late_fee_fixed": d.get("late_fee_fixed") or 0,
            "late_fee_daily_percent": d.get("late_fee_daily_percent") or 0,
            "late_fee_grace_days": d.get("late_fee_grace_days") or 0,
            "late_fee_cap": d.get("late_fee_cap"),
        }


class FeeItemCreateForm(_LateFeeFields):
    office = forms.ChoiceField(label=_("Management office"))
    code = forms.CharField(label=_("Code"), max_length=30, help_text=_("short, unique in the office, e.g. mgmt"))
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("as printed on bills, e.g. 物业费"))
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *FeeCategory.choices])
    method = forms.ChoiceField(label=_("Charge method"), choices=[("", "—"), *ChargeMethod.choices])
    cycle = forms.ChoiceField(label=_("Billing cycle"), choices=Cycle.choices, initial=Cycle.MONTHLY)
    meter_kind = forms.ChoiceField(
        label=_("Meter kind"), choices=[("", "—"), *MeterKind.choices], help_text=_("only for meter items")
    )
    priority = forms.IntegerField(
        label=_("Settlement priority"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("lower settles first when the company settles by priority"),
    )

    field_order = ["office", "code", "name", "category", "method", "cycle", "meter_kind", "priority"]

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "office", [("", "—"), *office_choices(scope)])

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip().lower()
        if code and not re.fullmatch(r"[a-z0-9_-]+", code):
            raise forms.ValidationError(_("Use letters, digits, - and _ only, e.g. mgmt."))
        return code

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "code": d.get("code") or "",
            "name": (d.get("name") or "").strip(),
            "category": d.get("category") or "",
            "method": d.get("method") or "",
            "cycle": d.get("cycle") or "",
            "meter_kind": d.get("meter_kind") or "",
            "priority": d.get("priority") if d.get("priority") is not None else 100,
            **self.late_fee_data(),
        }


class FeeItemEditForm(_LateFeeFields):
    name = forms.CharField(label=_("Name"), max_length=60)
    priority = forms.IntegerField(label=_("Settlement priority"), min_value=0, max_value=32767)
    is_active = forms.BooleanField(label=_("Active (billed by bill runs)"))

    field_order = ["name", "priority"]

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "name": (d.get("name") or "").strip(),
            "priority": d.get("priority") if d.get("priority") is not None else 100,
            "is_active": bool(d.get("is_active")),
            **self.late_fee_data(),
        }


class FeeStandardForm(ServiceValidatedForm):
    effective_from = forms.CharField(
        label=_("Price from (month)"), widget=MONTH_INPUT, help_text=_("months before keep their old price")
    )
    unit_type = forms.ChoiceField(label=_("For unit type"), choices=[("", _("Every type")), *UnitType.choices])
    rate = forms.CharField(
        label=_("Rate (yuan)"), max_length=20, help_text=_("per unit, per m² of area, or per unit of usage, a month")
    )
    custody_percent = forms.CharField(
        label=_("Percent charged for units in custody (托管)"),
        max_length=10,
        initial="100",
        help_text=_("100 = full price"),
    )
    note = forms.CharField(label=_("Note"), max_length=200)

    def effective_month(self) -> dt.date | None:
        return month_or_error(self, "effective_from")


class AssignForm(ServiceValidatedForm):
    """Pick units by estate, building, type and/or unit numbers (all that are given must match)."""

    estate = forms.ChoiceField(label=_("Estate"))
    building = forms.ChoiceField(label=_("Building"))
    unit_type = forms.ChoiceField(label=_("Unit type"), choices=[("", "—"), *UnitType.choices])
    units = forms.CharField(
        label=_("Unit numbers"),
        max_length=2000,
        help_text=_("optional, separated by commas, e.g. 101, 102 (within the building or estate chosen)"),
    )
    month = forms.CharField(label=_("Month"), widget=MONTH_INPUT)

    def __init__(self, *args: Any, scope: Scope, office_id: int, month_label: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        estates = registry.estate_list(scope=scope, office_id=office_id).order_by("name")
        set_choices(self, "estate", [("", "—"), *[(str(e.pk), e.name) for e in estates]])
        buildings = registry.building_list(scope=scope).filter(estate__office_id=office_id)
        set_choices(
            self,
            "building",
            [
                ("", "—"),
                *[(str(b.pk), f"{b.estate.name} {b.name}") for b in buildings.order_by("estate__name", "name")],
            ],
        )
        self.fields["month"].label = month_label

    def unit_numbers(self) -> list[str]:
        text = (self.cleaned_data.get("units") or "").replace("，", ",").replace("、", ",").replace(" ", ",")
        return sorted({p.strip() for p in text.split(",") if p.strip()})


class BillRunForm(ServiceValidatedForm):
    period = forms.CharField(label=_("Period (month billed)"), widget=MONTH_INPUT)
    office_ids = forms.MultipleChoiceField(label=_("Offices"), widget=forms.SelectMultiple(attrs={"size": 4}))
    estate_ids = forms.MultipleChoiceField(label=_("Estates"), widget=forms.SelectMultiple(attrs={"size": 4}))
    building_ids = forms.MultipleChoiceField(label=_("Buildings"), widget=forms.SelectMultiple(attrs={"size": 6}))

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "office_ids", office_choices(scope))
        set_choices(self, "estate_ids", estate_choices(scope))
        set_choices(self, "building_ids", building_choices(scope))
        if scope.all_offices:
            self.fields["building_ids"].help_text = _(
                "Choose offices, estates or buildings; choose none to bill the whole company."
            )
        else:
            self.fields["building_ids"].help_text = _("Choose the offices, estates or buildings to bill.")

    def ids(self, name: str) -> list[int]:
        return [int(v) for v in self.cleaned_data.get(name) or [] if str(v).isdigit()]


class StatementFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end is before the start."))
        return data

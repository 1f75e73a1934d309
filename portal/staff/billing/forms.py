"""Forms of the staff billing pages: fee setup, bill runs, statements, money at a unit (waivers, deposits,
one-off charges) and the billing settings. They collect and parse input; the billing services decide, and
their field errors are put back on the form (portal.common.forms.add_service_errors)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.billing.models import (
    ChargeMethod,
    Cycle,
    FeeCategory,
    FeeItem,
    LateFeeMode,
    LedgerEntry,
    MeterKind,
    Sanction,
    SettlementOrder,
)
from backend.billing.money import parse_yuan
from backend.billing.periods import parse_period
from backend.properties import selectors as registry
from backend.properties.models import UnitType
from backend.properties.scope import Scope
from portal.common.forms import ServiceValidatedForm, set_choices
from portal.common.money_forms import COUNTER_METHODS, YuanField

MONTH_INPUT = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "inputmode": "numeric"})


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


class WaiverRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=LedgerEntry.WaiverKind.choices,
        widget=forms.RadioSelect,
        initial=LedgerEntry.WaiverKind.WAIVER,
        help_text=_(
            "A waiver (减免) lowers what is still owed. A correction (红冲) reverses a wrong charge, even a paid "
            "one: the paid part goes to the prepaid balance."
        ),
    )
    amount = YuanField(label=_("Amount (yuan)"))
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class WaiverDecisionForm(forms.Form):
    waiver = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the waiver is rejected."))
        return data


class DepositHoldForm(forms.Form):
    purpose = forms.CharField(label=_("Purpose"), max_length=100, help_text=_("e.g. 装修保证金 (renovation deposit)"))
    amount = YuanField(label=_("Amount (yuan)"))
    method = forms.ChoiceField(label=_("Method"), choices=COUNTER_METHODS)
    reference = forms.CharField(label=_("Reference"), max_length=80, required=False)
    payer_name = forms.CharField(label=_("Payer"), max_length=60, required=False)


class DepositReleaseForm(forms.Form):
    deposit = forms.IntegerField(widget=forms.HiddenInput)
    refund = YuanField(label=_("Refund (yuan)"), required=False, empty_zero=True, positive=False)
    forfeit = YuanField(label=_("Forfeit (yuan)"), required=False, empty_zero=True, positive=False)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "refund" in data and "forfeit" in data and not (data["refund"] or data["forfeit"]):
            self.add_error("refund", _("Refund or forfeit an amount above zero."))
        return data


class AdhocChargeForm(forms.Form):
    fee_item = forms.ChoiceField(label=_("Fee item"))
    amount = YuanField(label=_("Amount (yuan)"))
    description = forms.CharField(
        label=_("Description"), max_length=200, help_text=_("e.g. 装修垃圾清运 3 车 (renovation debris, 3 loads)")
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: today."),
    )

    def __init__(self, *args: Any, items: Iterable[FeeItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = {str(item.pk): item for item in items}
        field = self.fields["fee_item"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + [(pk, f"{item.name} ({item.code})") for pk, item in self.items.items()]

    def clean_fee_item(self) -> FeeItem:
        return self.items[self.cleaned_data["fee_item"]]


class BillingSettingsForm(forms.Form):
    billing_day = forms.IntegerField(
        label=_("Bill run day of the month"),
        min_value=1,
        max_value=28,
        help_text=_("1–28, so that every month has it."),
    )
    payment_due_day = forms.IntegerField(
        label=_("Payment due day of the month"),
        min_value=1,
        max_value=31,
        help_text=_("In shorter months the last day of the month."),
    )
    auto_bill_run = forms.BooleanField(label=_("Run bills automatically on the billing day"), required=False)
    settlement_order = forms.ChoiceField(
        label=_("The prepaid balance settles"), choices=SettlementOrder.choices, widget=forms.RadioSelect
    )
    meter_anomaly_ratio = forms.DecimalField(
        label=_("Flag meter usage above this multiple of the unit's average"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("1.01"),
        max_value=Decimal("999.99"),
    )
    reminders_enabled = forms.BooleanField(label=_("Send payment reminders"), required=False)
    remind_days_before_due = forms.IntegerField(
        label=_("Remind this many days before the due date"), min_value=0, max_value=60
    )
    remind_on_overdue = forms.BooleanField(label=_("Remind on the day a bill becomes overdue"), required=False)
    remind_every_days = forms.IntegerField(label=_("Then remind every N days"), min_value=1, max_value=90)
    remind_max_per_week = forms.IntegerField(label=_("At most this many reminders a week"), min_value=1, max_value=7)
    remind_hour_from = forms.IntegerField(label=_("Send reminders from (hour)"), min_value=0, max_value=23)
    remind_hour_to = forms.IntegerField(label=_("Send reminders until (hour)"), min_value=1, max_value=24)
    sanctions = forms.MultipleChoiceField(
        label=_("Sanctions for units in arrears"),
        choices=Sanction.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Never water, power or heating."),
    )
    sanction_min_overdue_days = forms.IntegerField(
        label=_("Sanctions apply after this many overdue days"), min_value=1, max_value=3650
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("remind_hour_from"), data.get("remind_hour_to")
        if start is not None and end is not None and start >= end:
            self.add_error("remind_hour_to", _("The end hour must come after the start hour."))
        return data

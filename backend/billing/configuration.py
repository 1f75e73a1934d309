"""The company's billing settings: bill run and due days (kept with the company settings), the prepaid
balance's settlement order, the meter anomaly threshold, the reminder ladder (催缴) and sanctions. One page
edits them together, so one service saves them together and writes one audit entry saying what changed."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from backend.audit.services import audit_record
from backend.errors import ApplicationError
from tenants.company.models import CompanySettings
from tenants.company.selectors import company_settings_get

from .models import BillingSettings, Sanction, SettlementOrder

BILLING_FIELDS = (
    "auto_bill_run",
    "settlement_order",
    "meter_anomaly_ratio",
    "reminders_enabled",
    "remind_days_before_due",
    "remind_on_overdue",
    "remind_every_days",
    "remind_max_per_week",
    "remind_hour_from",
    "remind_hour_to",
    "sanctions",
    "sanction_min_overdue_days",
)
COMPANY_FIELDS = ("billing_day", "payment_due_day")
FIELDS = (*BILLING_FIELDS, *COMPANY_FIELDS)


def _values(billing: BillingSettings, company: CompanySettings) -> dict[str, Any]:
    values: dict[str, Any] = {k: getattr(billing, k) for k in BILLING_FIELDS}
    values.update({k: getattr(company, k) for k in COMPANY_FIELDS})
    values["sanctions"] = sorted(values["sanctions"] or [])
    return values


def billing_settings_values() -> dict[str, Any]:
    """Every billing setting by name, as the settings page shows them."""
    return _values(BillingSettings.load(), company_settings_get())


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, bool | int | str | list) or v is None else str(v)) for k, v in values.items()}


def _errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """What the rules refuse (the database refuses some of it too, but with an error nobody can read)."""
    errors: dict[str, list[str]] = {}
    if not 1 <= values["billing_day"] <= 28:
        errors["billing_day"] = [_("Choose a day from 1 to 28, so that every month has it.")]
    if not 1 <= values["payment_due_day"] <= 31:
        errors["payment_due_day"] = [_("Choose a day from 1 to 31.")]
    if values["settlement_order"] not in SettlementOrder.values:
        errors["settlement_order"] = [_("Choose how the prepaid balance settles.")]
    if Decimal(str(values["meter_anomaly_ratio"])) <= 1:
        errors["meter_anomaly_ratio"] = [_("The multiple must be above 1.")]
    if not 0 <= values["remind_hour_from"] < values["remind_hour_to"] <= 24:
        errors["remind_hour_to"] = [_("The end hour must come after the start hour.")]
    if set(values["sanctions"]) - set(Sanction.values):
        errors["sanctions"] = [_("Choose sanctions from the list.")]
    return errors


def billing_settings_update(*, values: Mapping[str, Any]) -> dict[str, Any]:
    """Save the settings given (the others stay as they are). Audited with what changed, before → after;
    returns those changes ({} when nothing changed, and then nothing is written)."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ApplicationError.for_fields({name: [_("There is no such billing setting.")] for name in unknown})
    with transaction.atomic():
        billing = BillingSettings.objects.select_for_update().get(pk=BillingSettings.load().pk)
        company = CompanySettings.objects.select_for_update().get(pk=company_settings_get().pk)
        before = _values(billing, company)
        after = {**before, **values}
        after["sanctions"] = sorted(after["sanctions"] or [])
        errors = _errors(after)
        if errors:
            raise ApplicationError.for_fields(errors)
        changed = [k for k in after if after[k] != before[k]]
        if not changed:
            return {}
        for k in BILLING_FIELDS:
            setattr(billing, k, after[k])
        for k in COMPANY_FIELDS:
            setattr(company, k, after[k])
        billing.save()
        company.save()
        changes = {
            "before": _jsonable({k: before[k] for k in changed}),
            "after": _jsonable({k: after[k] for k in changed}),
        }
        audit_record(
            action="billing.settings_update",
            target=billing,
            object_repr=_("Billing settings"),
            changes=changes,
        )
    return changes

"""The billing settings service: what it stores, the one audit entry saying what changed, and what it
refuses (nothing written then)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from backend.audit.context import Actor, acting_as
from backend.audit.models import AuditEntry
from backend.billing.configuration import billing_settings_update, billing_settings_values
from backend.billing.models import BillingSettings
from backend.errors import ApplicationError
from tenants.company.models import CompanySettings

pytestmark = pytest.mark.usefixtures("in_tenant_a")
FINANCE = Actor(user_id=None, user_name="财务小王", ip="203.0.113.5")


def test_the_values_given_are_stored_and_the_others_kept() -> None:
    before = billing_settings_values()
    with acting_as(FINANCE):
        changes = billing_settings_update(
            values={"billing_day": 15, "settlement_order": "priority", "sanctions": ["no_renovation"]}
        )
    company, billing = CompanySettings.objects.get(), BillingSettings.load()
    assert (company.billing_day, company.payment_due_day) == (15, before["payment_due_day"])
    assert billing.settlement_order == "priority" and billing.sanctions == ["no_renovation"]
    assert billing.remind_every_days == before["remind_every_days"]
    assert changes == {
        "before": {"billing_day": 1, "settlement_order": "oldest_first", "sanctions": []},
        "after": {"billing_day": 15, "settlement_order": "priority", "sanctions": ["no_renovation"]},
    }
    [entry] = AuditEntry.objects.filter(action="billing.settings_update")
    assert entry.changes == changes and entry.user_name == "财务小王" and entry.ip == "203.0.113.5"


def test_a_decimal_change_is_audited_as_text() -> None:
    billing_settings_update(values={"meter_anomaly_ratio": Decimal("2.50")})
    [entry] = AuditEntry.objects.filter(action="billing.settings_update")
    assert entry.changes["after"] == {"meter_anomaly_ratio": "2.50"}
    assert BillingSettings.load().meter_anomaly_ratio == Decimal("2.50")


def test_saving_the_same_values_writes_nothing() -> None:
    assert billing_settings_update(values=billing_settings_values()) == {}
    assert not AuditEntry.objects.filter(action="billing.settings_update").exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"billing_day": 29}, "billing_day"),
        ({"billing_day": 0}, "billing_day"),
        ({"payment_due_day": 32}, "payment_due_day"),
        ({"meter_anomaly_ratio": Decimal("1")}, "meter_anomaly_ratio"),
        ({"remind_hour_from": 18, "remind_hour_to": 9}, "remind_hour_to"),
        ({"remind_hour_to": 25}, "remind_hour_to"),
        ({"settlement_order": "newest_first"}, "settlement_order"),
        ({"sanctions": ["no_water"]}, "sanctions"),
        ({"currency": "USD"}, "currency"),
    ],
)
def test_what_the_rules_refuse_is_a_field_error_and_nothing_is_written(values: dict[str, Any], field: str) -> None:
    before = billing_settings_values()
    with pytest.raises(ApplicationError) as raised:
        billing_settings_update(values={"auto_bill_run": not before["auto_bill_run"], **values})
    assert field in raised.value.fields
    assert billing_settings_values() == before
    assert not AuditEntry.objects.filter(action="billing.settings_update").exists()

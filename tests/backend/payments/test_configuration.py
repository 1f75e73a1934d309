"""The payment settings and Stripe account services: what they store, what the audit log says (never a
secret), and what they refuse."""

from __future__ import annotations

from typing import Any

import pytest

from backend.audit.models import AuditEntry
from backend.errors import ApplicationError
from backend.gateway.models import StripeAccount
from backend.payments.configuration import payment_settings_update, stripe_account_update
from backend.payments.models import PaymentSettings

pytestmark = pytest.mark.usefixtures("in_tenant_a")
SECRET = "sk_test_company_own_0123456789"


def test_payment_settings_are_stored_and_the_change_audited() -> None:
    changed = payment_settings_update(values={"receipt_prefix": "WY", "receipt_digits": 8, "alipay_enabled": False})
    rule = PaymentSettings.load()
    assert (rule.receipt_prefix, rule.receipt_digits) == ("WY", 8)
    assert changed == ["receipt_prefix", "receipt_digits"]  # alipay was off already
    [entry] = AuditEntry.objects.filter(action="payments.settings_update")
    assert entry.changes == {
        "before": {"receipt_prefix": "SF", "receipt_digits": 6},
        "after": {"receipt_prefix": "WY", "receipt_digits": 8},
    }


def test_payment_settings_unchanged_write_nothing() -> None:
    assert payment_settings_update(values={"receipt_prefix": PaymentSettings.load().receipt_prefix}) == []
    assert not AuditEntry.objects.filter(action="payments.settings_update").exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"receipt_prefix": "SF-"}, "receipt_prefix"),
        ({"receipt_prefix": "ABCDEFGHIJK"}, "receipt_prefix"),
        ({"receipt_digits": 2}, "receipt_digits"),
        ({"receipt_digits": 11}, "receipt_digits"),
        ({"receipt_date_format": "DDMMYYYY"}, "receipt_date_format"),
        ({"followup_minutes": 0}, "followup_minutes"),
        ({"stripe_secret": "x"}, "stripe_secret"),
    ],
)
def test_bad_payment_settings_are_field_errors(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        payment_settings_update(values={"online_enabled": False, **values})
    assert field in raised.value.fields
    assert PaymentSettings.load().online_enabled is True
    assert not AuditEntry.objects.filter(action="payments.settings_update").exists()


def test_stripe_keys_are_stored_and_the_audit_names_fields_never_secrets(in_tenant_a: Any) -> None:
    assert stripe_account_update(tenant=in_tenant_a, secret_key=SECRET, publishable_key="pk_test_own") is True
    account = StripeAccount.objects.get(tenant=in_tenant_a)
    assert (account.secret_key, account.publishable_key, account.webhook_secret) == (SECRET, "pk_test_own", "")
    [entry] = AuditEntry.objects.filter(action="payments.stripe_account_update")
    assert entry.changes == {"fields": ["secret_key", "publishable_key"]}
    assert SECRET not in str(entry.changes) + entry.object_repr


def test_a_blank_secret_keeps_the_stored_one(in_tenant_a: Any) -> None:
    stripe_account_update(tenant=in_tenant_a, secret_key=SECRET)
    assert stripe_account_update(tenant=in_tenant_a, webhook_secret="whsec_own") is True
    account = StripeAccount.objects.get(tenant=in_tenant_a)
    assert (account.secret_key, account.webhook_secret) == (SECRET, "whsec_own")
    assert stripe_account_update(tenant=in_tenant_a, webhook_secret="whsec_own") is False  # nothing new


def test_keys_without_any_secret_are_refused(in_tenant_a: Any) -> None:
    with pytest.raises(ApplicationError) as raised:
        stripe_account_update(tenant=in_tenant_a, publishable_key="pk_test_own")
    assert "secret_key" in raised.value.fields
    assert not StripeAccount.objects.filter(tenant=in_tenant_a).exists()
    assert not AuditEntry.objects.filter(action__startswith="payments.stripe_account").exists()


def test_removing_deletes_the_keys_once(in_tenant_a: Any) -> None:
    stripe_account_update(tenant=in_tenant_a, secret_key=SECRET)
    assert stripe_account_update(tenant=in_tenant_a, remove=True) is True
    assert not StripeAccount.objects.filter(tenant=in_tenant_a).exists()
    assert stripe_account_update(tenant=in_tenant_a, remove=True) is False
    assert AuditEntry.objects.filter(action="payments.stripe_account_remove").count() == 1

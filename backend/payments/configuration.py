"""The company's payment settings (receipt numbering 单据编码规则, online methods, follow-up delay) and its
own Stripe account. Both are audited; a Stripe secret never reaches the audit log, only the names of the
fields that changed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.gateway.models import StripeAccount
from tenants.models import Tenant

from .models import PaymentSettings

SETTINGS_FIELDS = (
    "receipt_prefix",
    "receipt_date_format",
    "receipt_digits",
    "online_enabled",
    "card_enabled",
    "alipay_enabled",
    "wechat_enabled",
    "autopay_enabled",
    "followup_minutes",
)
PREFIX_RE = re.compile(r"^[A-Za-z0-9]{0,10}$")


def _settings_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not PREFIX_RE.match(values["receipt_prefix"] or ""):
        errors["receipt_prefix"] = [_("Use at most 10 letters and digits, nothing else.")]
    if values["receipt_date_format"] not in PaymentSettings.DateFormat.values:
        errors["receipt_date_format"] = [_("Choose a date format from the list.")]
    if not 3 <= values["receipt_digits"] <= 10:
        errors["receipt_digits"] = [_("Between 3 and 10 digits.")]
    if values["followup_minutes"] < 1:
        errors["followup_minutes"] = [_("At least one minute.")]
    return errors


def payment_settings_update(*, values: Mapping[str, Any]) -> list[str]:
    """Save the settings given (the others stay). Audited with the changed fields' values before and after;
    returns the names of the changed fields ([] when nothing changed, and then nothing is written)."""
    unknown = sorted(set(values) - set(SETTINGS_FIELDS))
    if unknown:
        raise ApplicationError.for_fields({name: [_("There is no such payment setting.")] for name in unknown})
    with transaction.atomic():
        rule = PaymentSettings.objects.select_for_update().get(pk=PaymentSettings.load().pk)
        before = {name: getattr(rule, name) for name in SETTINGS_FIELDS}
        after = {**before, **values}
        errors = _settings_errors(after)
        if errors:
            raise ApplicationError.for_fields(errors)
        changed = [name for name in SETTINGS_FIELDS if after[name] != before[name]]
        if not changed:
            return []
        for name in changed:
            setattr(rule, name, after[name])
        rule.save()
        audit_record(
            action="payments.settings_update",
            target=rule,
            object_repr=_("Payment settings"),
            changes={
                "before": {name: before[name] for name in changed},
                "after": {name: after[name] for name in changed},
            },
        )
    return changed


def stripe_account_update(
    *,
    tenant: Tenant,
    secret_key: str = "",
    publishable_key: str = "",
    webhook_secret: str = "",
    api_base: str = "",
    remove: bool = False,
) -> bool:
    """Store, change or delete the company's own Stripe keys. A blank secret keeps the stored one; the other
    fields are taken as given. Keys without a secret (none given, none stored) are refused: without it the
    platform's account would be used with the company's publishable key. Returns whether anything changed."""
    with transaction.atomic():
        account = StripeAccount.objects.select_for_update().filter(tenant=tenant).first()
        if remove:
            if account is None:
                return False
            account.delete()
            audit_record(
                action="payments.stripe_account_remove", object_type="gateway.stripeaccount", object_id=tenant.pk
            )
            return True
        if not secret_key and not (account and account.secret_key) and (publishable_key or webhook_secret or api_base):
            raise ApplicationError.for_fields(
                {"secret_key": [_("Enter the secret key; without it the platform's account is used.")]}
            )
        account = account or StripeAccount(tenant=tenant)
        changed = []
        for name, value in (("secret_key", secret_key), ("webhook_secret", webhook_secret)):
            if value and value != getattr(account, name):
                setattr(account, name, value)
                changed.append(name)
        for name, value in (("publishable_key", publishable_key), ("api_base", api_base)):
            if value != getattr(account, name):
                setattr(account, name, value)
                changed.append(name)
        if not changed:
            return False
        account.save()
        audit_record(
            action="payments.stripe_account_update",
            target=account,
            object_repr=_("Stripe account"),
            changes={"fields": changed},
        )
    return True

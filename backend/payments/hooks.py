"""Payments plugs into billing here: every new payment gets its receipt (and is refused on a closed day);
payments recorded together (an import) the same, in bulk; every posted bill run charges the homes with autopay."""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction

from backend.billing.hooks import on_bills_issued, on_payment_recorded, on_payments_recorded

from .dayclose import day_lock_check
from .models import AutopayMandate
from .receipts import receipt_issue
from .tasks import autopay_charge_task


@on_payment_recorded
def _receipt_and_day_lock(payment: Any) -> None:
    day_lock_check(payment)
    receipt_issue(payment)


@on_payments_recorded
def _receipts_and_day_locks(payments: Any) -> None:
    from .dayclose import days_lock_check
    from .receipts import receipts_issue

    days_lock_check(payments)
    receipts_issue(payments)


@on_bills_issued
def _autopay(run: Any) -> None:
    unit_ids = run.lines.values("unit_id")
    mandates = list(AutopayMandate.objects.filter(active=True, unit_id__in=unit_ids).values_list("pk", flat=True))
    run_id = run.pk

    def enqueue(mandate_id: int) -> None:
        autopay_charge_task.delay(mandate_id, run_id)

    for mandate_id in mandates:
        transaction.on_commit(functools.partial(enqueue, mandate_id))

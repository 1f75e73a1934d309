"""The cashier's counter (收费窗口): find a home, see what it owes, take the money, print the receipt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.billing import ledger
from backend.billing.models import Payment
from backend.errors import ApplicationError
from backend.properties.models import Unit

from .providers import OfflineProvider

NEEDS_REFERENCE = ("pos", "bank_transfer", "remote_transfer", "bank_collection")


def counter_find(units: QuerySet[Unit], q: str, limit: int = 20) -> list[Unit]:
    """Homes matching a unit number or label, or the name or phone of someone living there now."""
    q = (q or "").strip()
    if not q:
        return []
    match = (
        Q(number__iexact=q)
        | Q(label__icontains=q)
        | Q(occupancies__end_date__isnull=True, occupancies__person__name__icontains=q)
    )
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 4:
        match |= Q(occupancies__end_date__isnull=True, occupancies__person__phone__contains=digits)
    return list(
        units.filter(match)
        .select_related("building", "estate")
        .distinct()
        .order_by("estate_id", "building_id", "number")[:limit]
    )


def counter_collect(
    *,
    unit: Unit,
    amount: int,
    method: str,
    by: User,
    line_ids: Sequence[int] | None = None,
    to_prepaid: bool = False,
    reference: str = "",
    payer_name: str = "",
    note: str = "",
    received_at: dt.datetime | None = None,
    idempotency_key: str | None = None,
) -> Payment:
    """Record money taken at the counter. Settles the chosen lines (or everything owed); what is left over
    goes to the prepaid balance (余额转预收). The receipt is numbered in the same transaction."""
    errors: dict[str, list[str]] = {}
    if method not in OfflineProvider.METHODS:
        errors["method"] = [_("Choose cash, POS, bank transfer or remote remittance.")]
    if method in NEEDS_REFERENCE and not reference.strip():
        errors["reference"] = [_("Enter the slip or transfer reference.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    return ledger.payment_record(
        unit=unit,
        amount=amount,
        method=method,
        channel=Payment.Channel.COUNTER,
        line_ids=line_ids,
        to_prepaid=to_prepaid,
        reference=reference.strip(),
        payer_name=payer_name.strip(),
        note=note.strip(),
        received_at=received_at,
        recorded_by=by,
        idempotency_key=idempotency_key,
    ).payment

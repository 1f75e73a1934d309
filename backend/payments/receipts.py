"""Receipts (收费票据): one per payment, numbered by the company's rule, gap-free per company and year."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing import ledger
from backend.billing.models import Payment
from backend.billing.selectors import payment_refundable
from backend.errors import ApplicationError
from tenants.db import connection

from .dayclose import day_lock_check, refund_lock_check
from .models import PaymentSettings, Receipt, Refund


def receipt_number(rule: PaymentSettings, day: dt.date, sequence: int) -> str:
    """The rule's prefix, the date part and the year's sequence, zero-padded: SF20261122000042."""
    date_part = {"YYYYMMDD": f"{day:%Y%m%d}", "YYYYMM": f"{day:%Y%m}", "YYYY": f"{day:%Y}"}.get(
        rule.receipt_date_format, f"{day:%Y%m%d}"
    )
    return f"{rule.receipt_prefix}{date_part}{sequence:0{rule.receipt_digits}d}"


def _next_sequence(year: int) -> int:
    """Take the year's next number. The row stays locked until the payment's transaction ends, and a rollback
    returns the number: no gaps, no duplicates, under any concurrency."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_receiptcounter (year, last) VALUES (%s, 1) "
            "ON CONFLICT (year) DO UPDATE SET last = payments_receiptcounter.last + 1 RETURNING last",
            [year],
        )
        return int(cursor.fetchone()[0])


def receipt_issue(payment: Payment) -> Receipt:
    """Number and store the receipt of a new payment (inside the payment's transaction)."""
    day = timezone.localdate(payment.received_at)
    sequence = _next_sequence(day.year)
    return Receipt.objects.create(
        number=receipt_number(PaymentSettings.load(), day, sequence),
        year=day.year,
        sequence=sequence,
        payment=payment,
        issued_at=timezone.now(),
    )


def receipts_issue(payments: Sequence[Payment]) -> list[Receipt]:
    """receipt_issue for many new payments at once (an import), numbered in the order given: each year's
    numbers are taken in one statement, under the same row lock, so they stay gap-free and unique."""
    by_year: dict[int, list[Payment]] = defaultdict(list)
    for payment in payments:
        by_year[timezone.localdate(payment.received_at).year].append(payment)
    rule = PaymentSettings.load()
    now = timezone.now()
    receipts = []
    for year, group in sorted(by_year.items()):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO payments_receiptcounter (year, last) VALUES (%s, %s) "
                "ON CONFLICT (year) DO UPDATE SET last = payments_receiptcounter.last + EXCLUDED.last RETURNING last",
                [year, len(group)],
            )
            first = int(cursor.fetchone()[0]) - len(group) + 1
        for sequence, payment in enumerate(group, start=first):
            day = timezone.localdate(payment.received_at)
            receipts.append(
                Receipt(
                    number=receipt_number(rule, day, sequence),
                    year=year,
                    sequence=sequence,
                    payment=payment,
                    issued_at=now,
                )
            )
    return Receipt.objects.bulk_create(receipts, batch_size=4000)


def receipt_printed(receipt: Receipt) -> bool:
    """Count a print. Returns True when this is a reprint (补打): the receipt was printed before."""
    with transaction.atomic():
        locked = Receipt.objects.select_for_update().get(pk=receipt.pk)
        reprint = locked.print_count > 0
        locked.print_count += 1
        locked.last_printed_at = timezone.now()
        locked.save(update_fields=["print_count", "last_printed_at"])
        if reprint:
            audit_record(action="payments.receipt_reprint", target=locked, changes={"print": locked.print_count})
    receipt.print_count = locked.print_count
    return reprint


def receipt_void(*, receipt: Receipt, reason: str, by: User) -> Receipt:
    """作废: the payment was recorded in error. Needs a reason; posts a reversing entry (what is left of the
    payment goes back: reopened lines, prepaid taken back). Online payments are refunded instead, and a
    closed day's receipts stay as they are."""
    if not reason.strip():
        raise ApplicationError.for_fields({"reason": [_("Give a reason for voiding the receipt.")]})
    payment = receipt.payment
    if payment.channel in (Payment.Channel.ONLINE, Payment.Channel.AUTOPAY):
        raise ApplicationError(
            _("An online payment cannot be voided; refund it instead."), code="void_online", status=409
        )
    with transaction.atomic():
        ledger.unit_lock(payment.unit_id)
        locked = Receipt.objects.select_for_update().get(pk=receipt.pk)
        if locked.status == Receipt.Status.VOIDED:
            raise ApplicationError(_("This receipt is already void."), code="already_void", status=409)
        day_lock_check(payment)
        # The reversal is a refund entry dated today in the voider's name: not once they have closed today.
        refund_lock_check(by)
        remaining = payment_refundable(payment)
        entry = None
        if remaining > 0:
            entry = ledger.refund_record(payment=payment, amount=remaining, reason=f"作废 {reason}"[:300], by=by)
            Refund.objects.create(
                payment=payment,
                kind=Refund.Kind.VOID,
                amount=remaining,
                reason=reason[:300],
                provider="offline",
                entry=entry,
                requested_by=by,
            )
        locked.status = Receipt.Status.VOIDED
        locked.voided_at = timezone.now()
        locked.voided_by = by
        locked.void_reason = reason[:300]
        locked.save(update_fields=["status", "voided_at", "voided_by", "void_reason"])
        audit_record(
            action="payments.receipt_void",
            target=locked,
            changes={"payment": payment.pk, "reversed": remaining, "reason": reason},
        )
    return locked

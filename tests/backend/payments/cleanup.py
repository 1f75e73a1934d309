"""For tests that commit data: remove what payments hangs on billing payments of some units, and give the
receipt numbers back (the counter goes back to the highest receipt left), so later tests number from there."""

from __future__ import annotations

from typing import Any

from django.db.models import Max


def forget_payments(units: Any) -> None:
    from backend.payments.models import AutopayMandate, OnlinePayment, Receipt, ReceiptCounter, Refund

    Refund.objects.filter(payment__unit__in=units).delete()
    Receipt.objects.filter(payment__unit__in=units).delete()
    OnlinePayment.objects.filter(unit__in=units).delete()
    AutopayMandate.objects.filter(unit__in=units).delete()
    for counter in ReceiptCounter.objects.all():
        counter.last = Receipt.objects.filter(year=counter.year).aggregate(m=Max("sequence"))["m"] or 0
        counter.save(update_fields=["last"])

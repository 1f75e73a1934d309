"""The payables ledger's writes and sums (company schema).

**Posting.** `payables_record_order(order)` is called by marketplace/orders/money.py inside the transaction that
applies a payment (the order becomes paid) or a refund (lines' `refunded_fen` grows), with the order's row
locked. It does not take amounts from its caller: it brings the ledger level with the order's lines, so a
repeat posts nothing, a missed call is caught up by the next one (or by `payables_reconcile`, run before
statements are built), and any refund path that records `OrderLine.refunded_fen` and calls it is covered
(a full refund, a partial one per line).

Per line, once its order is paid:
- a sale of the line's amount and a commission of the line's `commission_fen`, once each (unique in the DB);
- refunds up to the line's `refunded_fen` (each call posts the increase);
- commission given back up to round_half_up(commission_fen × refunded_fen ÷ amount_fen), posted as the
  increase of that cumulative figure. Rounding the running total (not each refund) means the reversals of a
  line add up to exactly its commission when it is refunded in full, and never exceed it.

The line's commission itself was fixed at checkout (marketplace/orders/flow.py `commission_of`): the category's
rate in basis points of the company's CategorySetting (or its nearest parent's, else 5%), amount × bp ÷ 10000
rounded half-up to the fen, once per line. A line of an order never paid posts nothing, refunded or not; nor
does one held back from its merchant (marketplace/orders/holds.py: a group-buy's, until its deal succeeds)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils import timezone

from marketplace.orders.holds import order_held
from marketplace.orders.models import Order, OrderLine

from .models import SIGN, EntryKind, PayableEntry

log = logging.getLogger(__name__)


def reversal_due(*, commission_fen: int, refunded_fen: int, amount_fen: int) -> int:
    """The commission given back on a line refunded `refunded_fen` of `amount_fen` (cumulative)."""
    if amount_fen <= 0 or refunded_fen <= 0:
        return 0
    if refunded_fen >= amount_fen:
        return commission_fen
    share = Decimal(commission_fen) * refunded_fen / Decimal(amount_fen)
    return min(commission_fen, int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def _posted(line_ids: list[int]) -> dict[tuple[int, str], int]:
    rows = (
        PayableEntry.objects.filter(order_line_id__in=line_ids)
        .values("order_line_id", "kind")
        .annotate(total=Sum("amount_fen"))
    )
    return {(r["order_line_id"], r["kind"]): int(r["total"]) for r in rows}


def payables_record_order(order: Order, *, now: dt.datetime | None = None) -> int:
    """Bring the merchant's payables level with the order (inside the caller's transaction, the order's row
    locked by it). Returns how many entries were posted."""
    if order.paid_at is None or order_held(order.pk):  # a held order (group-buy) is not the merchant's sale yet
        return 0
    now = now or timezone.now()
    lines = list(OrderLine.objects.filter(order_id=order.pk).order_by("id"))
    posted = _posted([li.pk for li in lines])
    new: list[PayableEntry] = []

    def post(line: OrderLine, kind: str, amount: int) -> None:
        if amount > 0:
            new.append(
                PayableEntry(
                    merchant_id=order.merchant_id,
                    kind=kind,
                    amount_fen=amount,
                    order_id=order.pk,
                    order_code=order.code,
                    order_line=line,
                    category_code=line.category_code,
                    occurred_at=now,
                )
            )

    for line in lines:
        if (line.pk, EntryKind.SALE) not in posted:
            post(line, EntryKind.SALE, line.amount_fen)
            post(line, EntryKind.COMMISSION, line.commission_fen)
        refunded = posted.get((line.pk, EntryKind.REFUND), 0)
        if line.refunded_fen < refunded:
            # The order's lines never give money back: a smaller figure means something else is wrong.
            log.error("settlement: line %s refunded %s < posted %s", line.pk, line.refunded_fen, refunded)
            continue
        post(line, EntryKind.REFUND, line.refunded_fen - refunded)
        target = reversal_due(
            commission_fen=line.commission_fen, refunded_fen=line.refunded_fen, amount_fen=line.amount_fen
        )
        post(line, EntryKind.COMMISSION_REVERSAL, target - posted.get((line.pk, EntryKind.COMMISSION_REVERSAL), 0))
    PayableEntry.objects.bulk_create(new)
    return len(new)


def merchant_totals(merchant_id: int) -> dict[str, int]:
    """The merchant's ledger in this company: each kind's total, the net (sales − refunds − commission +
    reversals), what was paid out, and the balance the company still owes (net − paid out)."""
    totals = {k: 0 for k in SIGN}
    for kind, total in (
        PayableEntry.objects.filter(merchant_id=merchant_id).values_list("kind").annotate(t=Sum("amount_fen"))
    ):
        totals[kind] = int(total)
    net = sum(SIGN[k] * totals[k] for k in SIGN if k != EntryKind.PAYOUT)
    return {
        **{f"{k}_fen": v for k, v in totals.items()},
        "net_fen": net,
        "paid_out_fen": totals[EntryKind.PAYOUT],
        "balance_fen": net - totals[EntryKind.PAYOUT],
    }

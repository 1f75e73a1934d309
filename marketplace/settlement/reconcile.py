"""Catching the payables ledger up with the orders (a paid order without sales, a refund not posted): run before
statements are built. Apart from ledger.py because it takes the orders' locks (marketplace/orders/money.py), which
itself writes to the ledger."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q, Sum

from marketplace.orders.holds import orders_held
from marketplace.orders.models import Order

from .ledger import payables_record_order
from .models import EntryKind, PayableEntry


def payables_reconcile(*, limit: int = 500) -> int:
    """Orders whose ledger is behind their lines (a paid order without sales, a refund not posted), each
    caught up under its locks in a transaction of its own. Run before statements are built, and hourly."""
    from django.db import transaction

    from marketplace.orders.money import lock_unit_then_order

    refunds = Sum("amount_fen", filter=Q(kind=EntryKind.REFUND))
    sales = Sum("amount_fen", filter=Q(kind=EntryKind.SALE))
    posted_refunds: dict[int, int] = defaultdict(int)
    posted_sales: dict[int, int] = defaultdict(int)
    for row in PayableEntry.objects.exclude(order_id=None).values("order_id").annotate(r=refunds, s=sales):
        order_id = int(row["order_id"] or 0)
        posted_refunds[order_id] = int(row["r"] or 0)
        posted_sales[order_id] = int(row["s"] or 0)
    behind = []
    for pk, total, refunded in Order.objects.filter(paid_at__isnull=False).values_list(
        "pk", "total_fen", "refunded_fen"
    ):
        if posted_sales[pk] != total or posted_refunds[pk] != refunded:
            behind.append(pk)
    held = orders_held(behind)  # never the merchant's sale (yet): a group-buy's order until its deal succeeds
    behind = [pk for pk in behind if pk not in held][:limit]
    done = 0
    for pk in behind:
        with transaction.atomic():
            locked = lock_unit_then_order(pk)
            done += 1 if payables_record_order(locked) else 0
    return done

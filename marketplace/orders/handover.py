"""A paid order reaching its merchant: the payables ledger's sale and commission, the per-merchant index row
(what the merchant's board and API read), and a live notice. order_mark_paid does it at once; an order another
module holds back (a group-buy's, until its deal succeeds: marketplace/groupbuy) reaches the merchant when that
module calls `order_reach_merchant`. Holds are registered in holds.py (`on_order_hold`), so orders never import
the modules that hold them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.notices import notify_merchant
from marketplace.orders_index.models import MerchantOrder
from marketplace.settlement.ledger import payables_record_order
from tenants.db import connection

from .holds import order_held
from .models import Order

__all__ = ["order_held", "order_reach_merchant", "tell_merchant"]


def tell_merchant(order: Order, kind: str, title: str) -> None:
    notify_merchant(
        merchant_id=order.merchant_id,
        tenant_id=connection.tenant.pk,
        kind=kind,
        title=title,
        body=f"{order.code} · ¥{order.total_fen / 100:.2f}",
        data={"order": order.pk, "tenant": connection.tenant.pk, "status": order.status, "code": order.code},
    )


def order_reach_merchant(locked: Order, *, now: dt.datetime | None = None) -> None:
    """Hand a paid order (row locked by the caller, in its transaction) to its merchant: the payables are
    brought level (a repeat posts nothing), the index row made once, the merchant told."""
    now = now or timezone.now()
    payables_record_order(locked, now=now)  # the merchant's sales and the company's commission, same transaction
    _entry, created = MerchantOrder.objects.get_or_create(
        tenant_id=connection.tenant.pk,
        order_id=locked.pk,
        defaults={
            "merchant_id": locked.merchant_id,
            "code": locked.code,
            "status": locked.status,
            "total_fen": locked.total_fen,
            "commission_fen": locked.commission_fen,
            "paid_at": locked.paid_at or now,
        },
    )
    if created:
        tell_merchant(locked, "shop.order_new", _("New order"))

"""The merchant's side of shop orders (platform domain, public schema): its orders are found through the
per-merchant index (marketplace.orders_index: company, order id, status, totals), then each one is read or
changed in its company's schema. What a merchant sees of an order is what fulfilment needs: the lines, the
resident's name, the home's label and a phone, the fulfilment and note; never the resident's account; and those
details masked once the order has been closed for 30 days (personal_data.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django_tenants.utils import tenant_context

from backend.accounts.models import User
from backend.errors import ApplicationError, not_found
from marketplace.orders_index.models import MerchantOrder

from . import flow
from .models import Order
from .personal_data import order_contact

BOARD_STATUSES = ("paid", "accepted", "in_delivery", "in_service", "delivered")


def merchant_orders(*, merchant_id: int, status: str = "") -> QuerySet[MerchantOrder]:
    qs = MerchantOrder.objects.filter(merchant_id=merchant_id).select_related("tenant")
    if status == "open":
        qs = qs.filter(status__in=BOARD_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    return qs


def merchant_order_entry(*, merchant_id: int, pk: int) -> MerchantOrder:
    entry = MerchantOrder.objects.select_related("tenant").filter(pk=pk, merchant_id=merchant_id).first()
    if entry is None:
        raise not_found()
    return entry


@dataclass
class MerchantOrderView:
    entry: MerchantOrder
    order: Order
    lines: list[Any]


def merchant_order_read(*, merchant_id: int, pk: int) -> MerchantOrderView:
    entry = merchant_order_entry(merchant_id=merchant_id, pk=pk)
    with tenant_context(entry.tenant):
        order = Order.objects.filter(pk=entry.order_id, merchant_id=merchant_id).first()
        if order is None:
            raise not_found()
        lines = list(order.lines.all())
    return MerchantOrderView(entry, order, lines)


def merchant_order_act(
    *, merchant_id: int, pk: int, action: str, by: User | None, reason: str = ""
) -> MerchantOrderView:
    """Accept, dispatch, deliver or reject (with a reason) one of the merchant's orders in its company."""
    entry = merchant_order_entry(merchant_id=merchant_id, pk=pk)
    with tenant_context(entry.tenant):
        if action == "reject":
            flow.order_reject(order_id=entry.order_id, merchant_id=merchant_id, reason=reason, by=by)
        elif action in flow.MERCHANT_MOVES:
            flow.order_merchant_move(order_id=entry.order_id, merchant_id=merchant_id, action=action, by=by)
        else:
            raise ApplicationError.for_fields({"action": ["accept, dispatch, deliver or reject"]})
    return merchant_order_read(merchant_id=merchant_id, pk=pk)


def order_fulfilment(view: MerchantOrderView) -> dict[str, Any]:
    """The order as the merchant sees it (the one shape the API and the portal show)."""
    o = view.order
    return {
        "id": view.entry.pk,
        "company": view.entry.tenant.name,
        "code": o.code,
        "status": o.status,
        "status_label": str(o.get_status_display()),
        "fulfilment": o.fulfilment,
        **order_contact(o),  # masked once the order has been closed for SHOP_PERSONAL_DATA_DAYS
        "total_fen": o.total_fen,
        "commission_fen": o.commission_fen,
        "refunded_fen": o.refunded_fen,
        "reject_reason": o.reject_reason,
        "paid_at": o.paid_at,
        "lines": [
            {
                "title": li.title,
                "variant_name": li.variant_name,
                "slot_starts_at": li.slot_starts_at,
                "unit_price_fen": li.unit_price_fen,
                "quantity": li.quantity,
                "amount_fen": li.amount_fen,
            }
            for li in view.lines
        ],
    }

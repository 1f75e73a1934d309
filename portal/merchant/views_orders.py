"""The merchant's order board and order pages (/merchant/orders/): its paid orders of every company, from the
per-merchant index, each opened in its company's schema (marketplace.orders.merchant). The board updates live
(htmx on the /ws/merchant/ notices) with a chime for a new order."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backend.errors import ApplicationError
from marketplace import merchant_permissions as mperms
from marketplace.orders import merchant as orders

from .access import member_of, merchant_required, page

STATUSES = ("open", "paid", "accepted", "in_delivery", "in_service", "delivered", "completed", "rejected", "cancelled")


@merchant_required(mperms.ORDERS)
def board(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    status = status if status in STATUSES else "open"
    rows = orders.merchant_orders(merchant_id=member_of(request).merchant_id, status=status)[:200]
    template = (
        "portal/merchant/_order_rows.html" if request.headers.get("HX-Request") else "portal/merchant/orders.html"
    )
    return page(request, template, {"rows": rows, "status": status, "statuses": STATUSES})


@merchant_required(mperms.ORDERS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        view = orders.merchant_order_read(merchant_id=member_of(request).merchant_id, pk=pk)
    except ApplicationError as exc:
        raise Http404 from exc
    return page(request, "portal/merchant/order.html", {"o": orders.order_fulfilment(view)})


@require_POST
@merchant_required(mperms.ORDERS)
def act(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    member = member_of(request)
    if not orders.merchant_orders(merchant_id=member.merchant_id).filter(pk=pk).exists():
        raise Http404
    try:
        orders.merchant_order_act(
            merchant_id=member.merchant_id, pk=pk, action=action, by=member.user, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("Order updated."))
    except ApplicationError as exc:
        messages.error(request, exc.text)
    return redirect("merchant:order", pk=pk)

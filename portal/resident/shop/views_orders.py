"""The resident's cart, checkout and orders (社区商城 orders). Views are thin: marketplace.orders.flow holds every
write and its rules; a refusal is shown as a message on the page it came from. The order pages update by
themselves: they listen to the company notification socket (every transition notifies the resident) and
fetch their status part again (htmx, on `realtime:message`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.properties.selectors import resident_units
from marketplace.models import Listing
from marketplace.orders import cart as carts
from marketplace.orders import flow
from marketplace.orders.models import CartItem, Order
from marketplace.orders.money import order_payable
from portal.access import permission_required
from tenants.http import CompanyRequest

from .views_aftersale import order_aftersale

TEMPLATES = "portal/resident/shop"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _refusal(request: CompanyRequest, exc: ApplicationError) -> None:
    messages.error(request, exc.text)


@require_POST
@permission_required(perms.SHOP)
def cart_add(request: CompanyRequest) -> HttpResponseBase:
    listing_id = _int(request.POST.get("listing")) or 0
    item = carts.Item(
        listing_id,
        _int(request.POST.get("quantity")) or 1,
        _int(request.POST.get("variant")),
        _int(request.POST.get("slot")),
    )
    try:
        carts.cart_add(user=request.user, item=item)
    except ApplicationError as exc:
        _refusal(request, exc)
        return (
            redirect("portal:resident-shop-listing", pk=listing_id) if listing_id else redirect("portal:resident-shop")
        )
    messages.success(request, _("Added to your cart."))
    return redirect("portal:resident-shop-cart")


@permission_required(perms.SHOP)
def cart(request: CompanyRequest) -> HttpResponse:
    rows = list(CartItem.objects.filter(cart__user=request.user))
    listings = Listing.objects.select_related("merchant").in_bulk([r.listing_id for r in rows])
    lines = []
    total = 0
    for row in rows:
        listing = listings.get(row.listing_id)
        if listing is None:
            continue
        variant = listing.variants.filter(pk=row.variant_id).first() if row.variant_id else None
        slot = listing.slots.filter(pk=row.slot_id).first() if row.slot_id else None
        price = variant.price_fen if variant else listing.price_fen
        total += price * row.quantity
        lines.append({"row": row, "listing": listing, "variant": variant, "slot": slot, "amount": price * row.quantity})
    homes = list(resident_units(user_id=request.user.pk))
    return render(request, f"{TEMPLATES}/cart.html", {"lines": lines, "total": total, "homes": homes})


@require_POST
@permission_required(perms.SHOP)
def cart_quantity(request: CompanyRequest, pk: int) -> HttpResponseBase:
    if not CartItem.objects.filter(pk=pk, cart__user=request.user).exists():
        raise Http404
    try:
        carts.cart_set_quantity(user=request.user, item_id=pk, quantity=_int(request.POST.get("quantity")) or 0)
    except ApplicationError as exc:
        _refusal(request, exc)
    return redirect("portal:resident-shop-cart")


@require_POST
@permission_required(perms.SHOP)
def checkout(request: CompanyRequest) -> HttpResponseBase:
    unit = resident_units(user_id=request.user.pk).filter(pk=_int(request.POST.get("unit")) or 0).first()
    if unit is None:
        messages.error(request, _("Choose one of your homes."))
        return redirect("portal:resident-shop-cart")
    try:
        orders = flow.checkout(
            user=request.user,
            unit=unit,
            fulfilment=request.POST.get("fulfilment") or "delivery",
            note=request.POST.get("note", ""),
        )
    except ApplicationError as exc:
        _refusal(request, exc)
        return redirect("portal:resident-shop-cart")
    if len(orders) == 1:
        return redirect("portal:resident-shop-order", pk=orders[0].pk)
    return redirect("portal:resident-shop-orders")


@permission_required(perms.SHOP)
def orders(request: CompanyRequest) -> HttpResponse:
    rows = Order.objects.filter(user=request.user).prefetch_related("lines")[:100]
    template = f"{TEMPLATES}/_order_list.html" if request.headers.get("HX-Request") else f"{TEMPLATES}/orders.html"
    return render(request, template, {"orders": rows})


def _mine(request: CompanyRequest, pk: int) -> Order:
    order = Order.objects.filter(pk=pk, user=request.user).first()
    if order is None:
        raise Http404
    return order


@permission_required(perms.SHOP)
def order(request: CompanyRequest, pk: int) -> HttpResponse:
    found = _mine(request, pk)
    context = {"order": found, "lines": list(found.lines.all()), "pay": order_payable(found), **order_aftersale(found)}
    part = request.headers.get("HX-Request")
    return render(request, f"{TEMPLATES}/_order_body.html" if part else f"{TEMPLATES}/order.html", context)


@require_POST
@permission_required(perms.SHOP)
def order_cancel(request: CompanyRequest, pk: int) -> HttpResponseBase:
    try:
        flow.order_cancel(order_id=_mine(request, pk).pk, user=request.user)
        messages.success(request, _("Order cancelled."))
    except ApplicationError as exc:
        _refusal(request, exc)
    return redirect("portal:resident-shop-order", pk=pk)


@require_POST
@permission_required(perms.SHOP)
def order_confirm(request: CompanyRequest, pk: int) -> HttpResponseBase:
    try:
        flow.order_confirm(order_id=_mine(request, pk).pk, user=request.user)
        messages.success(request, _("Receipt confirmed. Thank you!"))
    except ApplicationError as exc:
        _refusal(request, exc)
    return redirect("portal:resident-shop-order", pk=pk)

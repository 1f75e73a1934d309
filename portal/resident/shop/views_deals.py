"""The resident's group-buy pages (团购): the deals their estates may see with their progress, one deal with a
join button (an order of one item at the group price, then paid as any order) or a leave button, and the
outcome once the deadline passed. marketplace.groupbuy holds every rule; a refusal is shown as a message. The
deal page updates by itself on the company notification socket (success and failure notify the participant)."""

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
from marketplace.groupbuy import selectors, services
from marketplace.groupbuy.models import HOLDING, Deal, DealState
from marketplace.orders.models import Fulfilment
from portal.access import permission_required
from tenants.http import CompanyRequest

from .views_orders import _int, _refusal

TEMPLATES = "portal/resident/shop"


def _deal(request: CompanyRequest, pk: int) -> Deal:
    deal = selectors.resident_deal(request.user, pk)
    if deal is None:
        raise Http404
    return deal


@permission_required(perms.SHOP)
def deals(request: CompanyRequest) -> HttpResponse:
    rows = list(selectors.resident_deals(request.user)[:100])
    mine = list(selectors.resident_deals(request.user, state="mine")[:50])
    return render(request, f"{TEMPLATES}/deals.html", {"deals": rows, "mine": mine})


@permission_required(perms.SHOP)
def deal(request: CompanyRequest, pk: int) -> HttpResponse:
    found = _deal(request, pk)
    # The homes offered are those whose estate may see the deal.
    homes = [u for u in resident_units(user_id=request.user.pk).select_related("estate") if _sees(u.estate_id, pk)]
    mine = selectors.my_join(found, request.user)
    holding = mine is not None and mine["state"] in HOLDING
    context = {
        "deal": found,
        "mine": mine,
        "holding": holding,
        "can_join": found.state == DealState.OPEN and found.joined < found.max_participants and not holding,
        "homes": homes,
        "fulfilments": Fulfilment.choices,
    }
    part = request.headers.get("HX-Request")
    return render(request, f"{TEMPLATES}/_deal_body.html" if part else f"{TEMPLATES}/deal.html", context)


def _sees(estate_id: int, deal_id: int) -> bool:
    return services.deals_for_estates([estate_id]).filter(pk=deal_id).exists()


@require_POST
@permission_required(perms.SHOP)
def deal_join(request: CompanyRequest, pk: int) -> HttpResponseBase:
    found = _deal(request, pk)
    unit = resident_units(user_id=request.user.pk).filter(pk=_int(request.POST.get("unit")) or 0).first()
    if unit is None:
        messages.error(request, _("Choose one of your homes."))
        return redirect("portal:resident-shop-deal", pk=pk)
    try:
        order = services.deal_join(
            deal_id=found.pk,
            user=request.user,
            unit=unit,
            fulfilment=request.POST.get("fulfilment") or Fulfilment.DELIVERY,
            note=request.POST.get("note", ""),
        )
    except ApplicationError as exc:
        _refusal(request, exc)
        return redirect("portal:resident-shop-deal", pk=pk)
    if order.status == "pending_payment":
        messages.success(request, _("You have a place: pay the order to count towards the group."))
    else:
        messages.success(request, _("You joined the group-buy."))
    return redirect("portal:resident-shop-deal", pk=pk)


@require_POST
@permission_required(perms.SHOP)
def deal_leave(request: CompanyRequest, pk: int) -> HttpResponseBase:
    found = _deal(request, pk)
    try:
        services.deal_leave(deal_id=found.pk, user=request.user)
        messages.success(request, _("You left the group-buy; anything paid is refunded."))
    except ApplicationError as exc:
        _refusal(request, exc)
    return redirect("portal:resident-shop-deal", pk=pk)

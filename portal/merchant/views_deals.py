"""The merchant's group-buy deals (/merchant/deals/): every deal it offers in the companies that approved it,
with its state and progress, and a form to offer a new one (marketplace/groupbuy/merchant.py holds the
rules). Deals carry no personal data; the participants' orders reach the orders board once a deal succeeds."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from backend.errors import ApplicationError
from marketplace import merchant_permissions as mperms
from marketplace.groupbuy import merchant as deals
from portal.common.forms import add_service_errors

from .access import member_of, merchant_required, page
from .forms import DealForm


@merchant_required(mperms.CATALOGUE_WRITE)
def deal_list(request: HttpRequest) -> HttpResponseBase:
    member = member_of(request)
    merchant = member.merchant
    companies = [(t.pk, t.name) for t in deals.merchant_companies(merchant_id=merchant.pk)]
    listings = list(merchant.listings.filter(is_active=True).values_list("pk", "title"))
    form = DealForm(request.POST or None, companies=companies, listings=listings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if not data.get("deadline"):
                raise ApplicationError.for_fields({"deadline": [_("Give a deadline.")]})
            deals.merchant_deal_create(
                merchant_id=merchant.pk,
                company_id=data.get("company") or 0,
                listing_id=data.get("listing") or 0,
                group_price_fen=data.get("group_price_fen") or 0,
                min_participants=data.get("min_participants") or 0,
                max_participants=data.get("max_participants") or 0,
                deadline=data["deadline"],
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Group-buy offered."))
            return redirect("merchant:deals")
    rows = deals.merchant_deals(merchant_id=merchant.pk)
    return page(
        request,
        "portal/merchant/deals.html",
        {"form": form, "rows": rows, "has_companies": bool(companies)},
        status=400 if request.method == "POST" else 200,
    )

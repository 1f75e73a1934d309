"""The community shop (社区商城) for a resident: the home of their estates, a category, a listing, a merchant.
Everything is read through marketplace.shop, which applies the one visibility rule: a listing or merchant the
resident's estates may not see is a 404, exactly as one that does not exist."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from backend.accounts import permissions as perms
from backend.uploads.kinds import PRODUCT_PHOTO
from backend.uploads.serving import upload_response
from marketplace.shop import (
    PAGE_SIZE,
    ShopViewer,
    category_listings,
    listing_page,
    listing_viewed,
    merchant_page,
    photo_visible,
    shop_home,
)
from portal.access import permission_required
from tenants.http import CompanyRequest

TEMPLATES = "portal/resident/shop"


def _viewer(request: CompanyRequest) -> ShopViewer:
    return ShopViewer.resident(tenant_id=request.tenant.pk, user_id=request.user.pk)


@permission_required(perms.SHOP)
def home(request: CompanyRequest) -> HttpResponse:
    viewer = _viewer(request)
    return render(request, f"{TEMPLATES}/home.html", {"shop": shop_home(viewer), "has_homes": bool(viewer.estate_ids)})


@permission_required(perms.SHOP)
def category(request: CompanyRequest, code: str) -> HttpResponse:
    found = category_listings(_viewer(request), code=code)
    if found is None:
        raise Http404
    shown, listings = found
    page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, f"{TEMPLATES}/category.html", {"category": shown, "page": page})


@permission_required(perms.SHOP)
def listing(request: CompanyRequest, pk: int) -> HttpResponse:
    page = listing_page(_viewer(request), pk=pk)
    if page is None:
        raise Http404
    listing_viewed(pk)
    return render(request, f"{TEMPLATES}/listing.html", {"page": page, "listing": page.listing})


@permission_required(perms.SHOP)
def merchant(request: CompanyRequest, pk: int) -> HttpResponse:
    page = merchant_page(_viewer(request), pk=pk)
    if page is None:
        raise Http404
    listings = Paginator(page.listings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, f"{TEMPLATES}/merchant.html", {"merchant": page.merchant, "page": listings})


@permission_required(perms.SHOP)
def photo(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """A listing's photo, for a resident whose estates may see the listing; served by the upload module."""
    found = photo_visible(_viewer(request), pk=pk)
    if found is None:
        raise Http404
    response = upload_response(found.image, kind=PRODUCT_PHOTO, download_name=f"listing-photo-{found.pk}")
    response["Cache-Control"] = "private, max-age=3600"
    return response

"""The community shop (社区商城) for a resident: the home of their estates, a category, a listing, a merchant.
Everything is read through marketplace.shop, which applies the one visibility rule: a listing or merchant the
resident's estates may not see is a 404, exactly as one that does not exist."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from backend.accounts import permissions as perms
from backend.uploads.kinds import PRODUCT_PHOTO
from backend.uploads.serving import upload_response
from marketplace.orders.reviews import listing_reviews
from marketplace.search.documents import PRICE_RANGES
from marketplace.search.selectors import search_for_resident
from marketplace.shop import (
    PAGE_SIZE,
    ShopViewer,
    category_listings,
    listing_page,
    listing_viewed,
    merchant_page,
    photo_visible,
    search_hits,
    shop_home,
)
from portal.access import permission_required
from tenants.http import CompanyRequest

from .forms import ShopSearchForm

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
    context = {"page": page, "listing": page.listing, "reviews": listing_reviews(pk)}
    return render(request, f"{TEMPLATES}/listing.html", context)


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


FACETS = ("category", "merchant", "price", "rating", "in_stock")


@permission_required(perms.SHOP)
def search(request: CompanyRequest) -> HttpResponse:
    """Search as you type (htmx asks for the results only), with facets that narrow the query string."""
    viewer = _viewer(request)
    form = ShopSearchForm(request.GET)
    form.is_valid()
    number = form.page_number()
    result = search_for_resident(
        request.tenant, viewer.estate_ids, **form.query(), offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    hits = search_hits(viewer, result)
    pages = max(1, -(-hits.total // PAGE_SIZE))
    context = {
        "form": form,
        "hits": hits,
        "facets": _facets(request.GET, hits),
        "number": number,
        "previous_url": _with(request.GET, page=str(number - 1)) if number > 1 else "",
        "next_url": _with(request.GET, page=str(number + 1)) if number < pages else "",
        "has_homes": bool(viewer.estate_ids),
    }
    if request.headers.get("HX-Request"):
        return render(request, f"{TEMPLATES}/_results.html", context)
    return render(request, f"{TEMPLATES}/search.html", context)


def _with(query: QueryDict, **changes: str | None) -> str:
    """The query string with these keys set (None: removed), back on page 1 unless the page is what changes."""
    q = query.copy()
    if "page" not in changes:
        q.pop("page", None)
    for key, value in changes.items():
        if value is None:
            q.pop(key, None)
        else:
            q[key] = value
    return "?" + q.urlencode() if q else "?"


def _facet_label(facet: str, value: str, hits: Any) -> str:
    if facet == "category":
        return str(hits.category_names.get(value, value))
    if facet == "merchant":
        return str(hits.merchant_names.get(int(value), value)) if value.isdigit() else value
    if facet == "price":
        low, high = PRICE_RANGES[int(value)].low_fen, PRICE_RANGES[int(value)].high_fen
        if low is None:
            return _("Under ¥%(high)s") % {"high": (high or 0) // 100}
        if high is None:
            return _("¥%(low)s and more") % {"low": low // 100}
        return f"¥{low // 100}–{high // 100}"
    if facet == "rating":
        return _("%(stars)s★ and up") % {"stars": value}
    return _("In stock")


def _facets(query: QueryDict, hits: Any) -> list[dict[str, Any]]:
    titles = {
        "category": _("Category"),
        "merchant": _("Merchant"),
        "price": _("Price"),
        "rating": _("Rating"),
        "in_stock": _("Availability"),
    }
    out = []
    for facet in FACETS:
        counts = hits.facets.get(facet, {})
        if facet == "in_stock":
            counts = {"true": counts.get("true", 0)}
        if facet == "price":
            counts = {v: counts[v] for v in sorted(counts, key=int)}
        chosen = query.get(facet, "")
        values = [
            {
                "label": _facet_label(facet, v, hits),
                "count": n,
                "chosen": v == chosen,
                "url": _with(query, **{facet: None if v == chosen else v}),
            }
            for v, n in counts.items()
            if n and (facet != "price" or v.isdigit() and int(v) < len(PRICE_RANGES))
        ]
        if facet in ("category", "merchant"):
            values.sort(key=lambda item: -item["count"])
        if values:
            out.append({"key": facet, "title": titles[facet], "values": values[:12]})
    return out

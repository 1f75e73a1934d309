"""The merchant's catalogue pages: listings (goods and services) with their photos, variants and appointment
slots, and the monthly specials. Every object is looked up among this merchant's own: another merchant's id
is a 404, like an id that does not exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.errors import ApplicationError
from backend.uploads.kinds import PRODUCT_PHOTO
from backend.uploads.serving import upload_response
from marketplace import catalogue, catalogue_slots
from marketplace import merchant_permissions as mperms
from marketplace import selectors_merchant as reads
from marketplace.models import Listing, ListingKind
from marketplace.models.catalogue import SPECIALS_PER_MONTH
from portal.common.forms import add_service_errors

from .access import member_of, merchant_required, page
from .forms import ListingForm, PhotoForm, SlotCapacityForm, SlotSeriesForm, SpecialForm, VariantForm

CATALOGUE = mperms.CATALOGUE_WRITE


def _listing(request: HttpRequest, pk: int) -> Listing:
    listing = reads.listing_get(merchant=member_of(request).merchant, listing_id=pk)
    if listing is None:
        raise Http404
    return listing


def yuan_input(fen: int) -> str:
    """What a price field shows: 1280 → "12.80" (integer arithmetic, no float)."""
    return f"{fen // 100}.{fen % 100:02d}"


def _with_price_input(variant: Any) -> Any:
    variant.price_input = yuan_input(variant.price_fen)
    return variant


def _act(request: HttpRequest, action: Callable[[], Any], done: str) -> bool:
    """Run one service call for a button: a 404 stays a 404, another refusal is a message."""
    try:
        action()
    except ApplicationError as error:
        if error.status == 404:
            raise Http404 from error
        for messages_ in error.fields.values():
            for message in messages_:
                messages.error(request, message)
        if not error.fields:
            messages.error(request, error.message)
        return False
    messages.success(request, done)
    return True


@merchant_required(CATALOGUE)
def listings(request: HttpRequest) -> HttpResponse:
    merchant = member_of(request).merchant
    kind = request.GET.get("kind") if request.GET.get("kind") in ListingKind.values else None
    rows = reads.listing_list(merchant=merchant, kind=kind)
    return page(request, "portal/merchant/listings.html", {"listings": rows, "kind": kind})


@merchant_required(CATALOGUE)
@require_http_methods(["GET", "POST"])
def listing_new(request: HttpRequest) -> HttpResponse:
    form = ListingForm(request.POST or None, initial={"kind": request.GET.get("kind") or ListingKind.GOOD})
    if request.method == "POST" and form.is_valid():
        try:
            listing = catalogue.listing_create(member=member_of(request), **form.cleaned_data)
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Listing created. Add photos, and variants or slots."))
            return redirect("merchant:listing", pk=listing.pk)
    status = 400 if request.method == "POST" else 200
    return page(request, "portal/merchant/listing_new.html", {"form": form}, status)


def _listing_page(request: HttpRequest, listing: Listing, **forms: Any) -> dict[str, Any]:
    merchant = member_of(request).merchant
    initial = {
        "category_code": listing.category.code,
        "title": listing.title,
        "description": listing.description,
        "price_fen": yuan_input(listing.price_fen),
        "unit": listing.unit,
        "per_order_limit": listing.per_order_limit,
        "stock": listing.stock,
        "duration_minutes": listing.duration_minutes,
        "service_area": listing.service_area,
    }
    today = timezone.localdate()
    return {
        "listing": listing,
        "form": forms.get("form") or ListingForm(initial=initial, editing=True),
        "photo_form": forms.get("photo_form") or PhotoForm(),
        "variant_form": forms.get("variant_form") or VariantForm(),
        "slot_form": forms.get("slot_form") or SlotSeriesForm(initial={"first_date": today, "capacity": 1}),
        "photos": list(listing.photos.all()),
        "variants": [_with_price_input(v) for v in listing.variants.all()],
        "slots": list(reads.slot_list(merchant=merchant, listing=listing, since=timezone.now())[:100]),
        "photos_max": catalogue.PHOTOS_MAX,
    }


@merchant_required(CATALOGUE)
@require_http_methods(["GET", "POST"])
def listing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _listing(request, pk)
    member = member_of(request)
    forms: dict[str, Any] = {}
    form: django_forms.Form
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "listing":
                forms["form"] = form = ListingForm(request.POST, editing=True)
                if form.is_valid():
                    catalogue.listing_update(member=member, listing_id=pk, **form.cleaned_data)
                    messages.success(request, _("Listing saved."))
                    return redirect("merchant:listing", pk=pk)
            elif which == "photo":
                forms["photo_form"] = form = PhotoForm(request.POST, request.FILES)
                if form.is_valid():
                    catalogue.photo_add(member=member, listing_id=pk, photo=form.cleaned_data["photo"])
                    messages.success(request, _("Photo added."))
                    return redirect("merchant:listing", pk=pk)
            elif which == "variant":
                forms["variant_form"] = form = VariantForm(request.POST)
                if form.is_valid():
                    catalogue.variant_add(member=member, listing_id=pk, **form.cleaned_data)
                    messages.success(request, _("Variant added."))
                    return redirect("merchant:listing", pk=pk)
            elif which == "slots":
                forms["slot_form"] = form = SlotSeriesForm(request.POST)
                if form.is_valid():
                    made = catalogue_slots.slot_series_create(member=member, listing_id=pk, **form.cleaned_data)
                    messages.success(request, _("%(n)d slots added.") % {"n": len(made)})
                    return redirect("merchant:listing", pk=pk)
            else:
                raise Http404
        except ApplicationError as error:
            if error.status == 404:
                raise Http404 from error
            add_service_errors(form, error)
    status = 400 if request.method == "POST" else 200
    return page(request, "portal/merchant/listing.html", _listing_page(request, listing, **forms), status)


@merchant_required(CATALOGUE)
@require_POST
def listing_active(request: HttpRequest, pk: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    _act(
        request,
        lambda: catalogue.listing_set_active(member=member_of(request), listing_id=pk, active=active),
        _("On sale.") if active else _("Taken off sale."),
    )
    if request.POST.get("back") == "list":
        return redirect("merchant:listings")
    return redirect("merchant:listing", pk=pk)


@merchant_required(CATALOGUE)
def photo_image(request: HttpRequest, pk: int) -> HttpResponseBase:
    photo = reads.photo_get(merchant=member_of(request).merchant, photo_id=pk)
    if photo is None:
        raise Http404
    return upload_response(photo.image, kind=PRODUCT_PHOTO, download_name=f"photo-{photo.pk}")


@merchant_required(CATALOGUE)
@require_POST
def photo_remove(request: HttpRequest, pk: int) -> HttpResponse:
    photo = reads.photo_get(merchant=member_of(request).merchant, photo_id=pk)
    if photo is None:
        raise Http404
    _act(request, lambda: catalogue.photo_remove(member=member_of(request), photo_id=pk), _("Photo removed."))
    return redirect("merchant:listing", pk=photo.listing_id)


@merchant_required(CATALOGUE)
@require_POST
def photo_first(request: HttpRequest, pk: int) -> HttpResponse:
    """Make this photo the cover (first), keeping the others' order."""
    photo = reads.photo_get(merchant=member_of(request).merchant, photo_id=pk)
    if photo is None:
        raise Http404
    order = [pk, *[p.pk for p in photo.listing.photos.all() if p.pk != pk]]
    _act(
        request,
        lambda: catalogue.photo_reorder(member=member_of(request), listing_id=photo.listing_id, photo_ids=order),
        _("Cover photo set."),
    )
    return redirect("merchant:listing", pk=photo.listing_id)


@merchant_required(CATALOGUE)
@require_POST
def variant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    variant = reads.variant_get(merchant=member_of(request).merchant, variant_id=pk)
    if variant is None:
        raise Http404
    if request.POST.get("remove"):
        _act(request, lambda: catalogue.variant_remove(member=member_of(request), variant_id=pk), _("Variant removed."))
    else:
        form = VariantForm(request.POST)
        form.is_valid()
        data = form.cleaned_data
        _act(
            request,
            lambda: catalogue.variant_update(
                member=member_of(request),
                variant_id=pk,
                name=data.get("name") or "",
                price_fen=data.get("price_fen"),
                stock=data.get("stock"),
                is_active=request.POST.get("is_active") == "1",
            ),
            _("Variant saved."),
        )
    return redirect("merchant:listing", pk=variant.listing_id)


@merchant_required(CATALOGUE)
@require_POST
def slot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    slot = reads.slot_get(merchant=member_of(request).merchant, slot_id=pk)
    if slot is None:
        raise Http404
    member = member_of(request)
    if "active" in request.POST:
        active = request.POST.get("active") == "1"
        _act(
            request,
            lambda: catalogue_slots.slot_set_active(member=member, slot_id=pk, active=active),
            _("Slot opened.") if active else _("Slot closed."),
        )
    else:
        form = SlotCapacityForm(request.POST)
        capacity = form.cleaned_data["capacity"] if form.is_valid() else request.POST.get("capacity")
        _act(
            request,
            lambda: catalogue_slots.slot_capacity_set(member=member, slot_id=pk, capacity=capacity),
            _("Places changed."),
        )
    return redirect("merchant:listing", pk=slot.listing_id)


@merchant_required(CATALOGUE)
@require_http_methods(["GET", "POST"])
def specials(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    merchant = member.merchant
    choices = [(pk, title) for pk, title in merchant.listings.filter(is_active=True).values_list("pk", "title")]
    form = SpecialForm(request.POST or None, listings=choices, initial={"month": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            catalogue_slots.special_create(
                member=member,
                listing_id=data.get("listing_id") or 0,
                month=data.get("month"),
                price_fen=data.get("price_fen"),
            )
        except ApplicationError as error:
            if error.status == 404:
                form.add_error("listing_id", _("Choose one of your listings."))
            else:
                add_service_errors(form, error)
        else:
            messages.success(request, _("Special added."))
            return redirect("merchant:specials")
    this_month = timezone.localdate().replace(day=1)
    rows = list(reads.special_list(merchant=merchant))
    used = sum(1 for s in rows if s.month == this_month)
    return page(
        request,
        "portal/merchant/specials.html",
        {"form": form, "specials": rows, "used": used, "allowed": SPECIALS_PER_MONTH, "this_month": this_month},
        status=400 if request.method == "POST" else 200,
    )


@merchant_required(CATALOGUE)
@require_POST
def special_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _act(
        request, lambda: catalogue_slots.special_remove(member=member_of(request), special_id=pk), _("Special removed.")
    )
    return redirect("merchant:specials")

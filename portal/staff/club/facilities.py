"""Facility setup: the facilities of the caller's scope, creating and editing one with every rule (grouped:
hours per weekday with breaks, capacity and slots, the booking window, limits and quotas, price, who may book)
and its photos through the upload module. Writes go through backend.club.services, whose field errors are put
back on the form; a facility outside the caller's scope (another office or estate, another company) is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.club import services
from backend.club.models import Facility, FacilityPhoto
from backend.club.selectors import facility_list
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.forms import add_service_errors, scoped_choices
from portal.common.scope import scope_of
from portal.resident.club.grid import with_rules
from tenants.http import CompanyRequest

from .forms import FacilityForm, PhotoForm, initial_of

TEMPLATES = "portal/staff/club"


def staff_facility_or_404(request: CompanyRequest, pk: int) -> Facility:
    facility = with_rules(facility_list(scope=scope_of(request)).filter(pk=pk)).first()
    if facility is None:
        raise Http404
    return facility


@permission_required(perms.CLUB_MANAGE)
def facilities(request: CompanyRequest) -> HttpResponse:
    rows = with_rules(facility_list(scope=scope_of(request)))
    return render(request, f"{TEMPLATES}/facilities.html", {"facilities": rows})


def _estates(request: CompanyRequest) -> list[tuple[str, str]]:
    return scoped_choices(scope_of(request), "estate")


@permission_required(perms.CLUB_MANAGE)
@require_http_methods(["GET", "POST"])
def facility_new(request: CompanyRequest) -> HttpResponse:
    defaults = initial_of(Facility(allowed_roles=["owner", "tenant", "member"]))
    defaults.update({"is_active": True, "kind": "gym", "price_mode": "free", "booking_mode": "slot"})
    form = FacilityForm(request.POST or None, estates=_estates(request), creating=True, initial=defaults)
    if request.method == "POST" and form.is_valid():
        try:
            facility = services.facility_create(
                estate_id=int(form.cleaned_data["estate"]),
                scope=scope_of(request),
                hours=form.cleaned_data["hours_list"],
                **form.service_values(),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Facility created."))
            return redirect("portal:staff-club-facility", pk=facility.pk)
    return render(
        request,
        f"{TEMPLATES}/facility_form.html",
        {"form": form, "facility": None},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.CLUB_MANAGE)
@require_http_methods(["GET", "POST"])
def facility_edit(request: CompanyRequest, pk: int) -> HttpResponse:
    facility = staff_facility_or_404(request, pk)
    form = FacilityForm(request.POST or None, estates=_estates(request), creating=False, initial=initial_of(facility))
    if request.method == "POST" and form.is_valid():
        try:
            services.facility_update(facility=facility, hours=form.cleaned_data["hours_list"], **form.service_values())
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Facility saved."))
            return redirect("portal:staff-club-facility", pk=facility.pk)
    return render(
        request,
        f"{TEMPLATES}/facility_form.html",
        {"form": form, "facility": facility, "photos": list(facility.photos.all()), "photo_form": PhotoForm()},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.CLUB_MANAGE)
@require_POST
def facility_photo_add(request: CompanyRequest, pk: int) -> HttpResponse:
    facility = staff_facility_or_404(request, pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.facility_photo_add(
                facility=facility, image=form.cleaned_data["image"], caption=form.cleaned_data["caption"]
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Photo added."))
            return redirect("portal:staff-club-facility", pk=facility.pk)
    edit = FacilityForm(estates=_estates(request), creating=False, initial=initial_of(facility))
    return render(
        request,
        f"{TEMPLATES}/facility_form.html",
        {"form": edit, "facility": facility, "photos": list(facility.photos.all()), "photo_form": form},
        status=400,
    )


@permission_required(perms.CLUB_MANAGE)
@require_POST
def facility_photo_remove(request: CompanyRequest, pk: int) -> HttpResponse:
    photo = FacilityPhoto.objects.filter(pk=pk, facility__in=facility_list(scope=scope_of(request))).first()
    if photo is None:
        raise Http404
    facility_id = photo.facility_id
    services.facility_photo_remove(photo=photo, by=request.user)
    messages.success(request, _("Photo removed."))
    return redirect("portal:staff-club-facility", pk=facility_id)

"""The facilities a resident's homes may book, and one facility's week: the grid of places left per slot
(updated live over the notification socket by js/club-grid.js) with the booking form under it. Every lookup
goes through backend.club.selectors with the resident's scope: another estate's or company's facility is a 404.
Booking calls backend.club.booking; its refusals come back as errors on the form's fields. The same form
joins a full slot's waitlist (action=waitlist: a full cell can be chosen, and club-grid.js swaps "Book" for
"Join the waitlist") and, where residents may recur (free facilities), books the time every week
(action=series, backend.club.series)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.club.availability import availability, week_start
from backend.club.booking import booking_create
from backend.club.models import Facility, FacilityPhoto
from backend.club.selectors import facility_list
from backend.club.series import series_create
from backend.club.waitlist import waitlist_join
from backend.errors import ApplicationError
from backend.properties.selectors import resident_units
from backend.uploads.kinds import FACILITY_PHOTO
from backend.uploads.serving import upload_response
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.money_forms import IDEMPOTENCY_KEY, new_idempotency_key
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

from .forms import BookingForm
from .grid import grid_days, hours_by_day, with_rules

TEMPLATES = "portal/resident/club"
NEXT_FREE_DAYS = 3


def _next_free(facility: Facility, today: dt.date, now: dt.datetime) -> Any:
    """The first bookable cell of the next few days (two queries), or None."""
    grid = availability(facility=facility, first=today, days_count=NEXT_FREE_DAYS, now=now)
    return next((c for day in grid.days for c in day.cells if c.state == "open"), None)


@permission_required(perms.CLUB_BOOK)
def facilities(request: CompanyRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate(now)
    rows = [
        {"facility": f, "photo": next(iter(f.photos.all()), None), "next_free": _next_free(f, today, now)}
        for f in with_rules(facility_list(scope=scope_of(request)))
    ]
    return render(request, f"{TEMPLATES}/facilities.html", {"rows": rows})


def facility_or_404(request: CompanyRequest, pk: int) -> Facility:
    facility = with_rules(facility_list(scope=scope_of(request)).filter(pk=pk)).first()
    if facility is None:
        raise Http404
    return facility


def _week(request: CompanyRequest, today: dt.date) -> dt.date:
    try:
        first = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        return week_start(today)
    return week_start(min(max(first, today - dt.timedelta(days=7)), today + dt.timedelta(days=370)))


@permission_required(perms.CLUB_BOOK)
@require_http_methods(["GET", "POST"])
def facility(request: CompanyRequest, pk: int) -> HttpResponse:
    facility = facility_or_404(request, pk)
    units = list(resident_units(user_id=request.user.pk).filter(estate_id__in=facility.bookable_estate_ids))
    form = BookingForm(
        request.POST or None,
        facility=facility,
        units=units,
        initial={"idempotency_key": new_idempotency_key()},
    )
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "book")
        unit = next((u for u in units if str(u.pk) == form.cleaned_data["unit"]), None)
        try:
            if unit is None:
                raise ApplicationError.for_fields({"unit": [_("Choose one of your homes.")]})
            if action == "waitlist":
                return _join_waitlist(request, facility, form, unit)
            if action == "series" and form.offers_series:
                return _book_series(request, facility, form, unit)
            key = form.cleaned_data.get("idempotency_key") or ""
            starts_at, ends_at = form.span()
            booking = booking_create(
                facility=facility,
                user=request.user,
                unit=unit,
                starts_at=starts_at,
                ends_at=ends_at,
                party_size=form.cleaned_data["party_size"],
                idempotency_key=key if IDEMPOTENCY_KEY.match(key) else None,
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            return redirect("portal:resident-booking", pk=booking.pk)
    now = timezone.now()
    today = timezone.localdate(now)
    first = _week(request, today)
    grid = availability(facility=facility, first=first, days_count=7, now=now)
    return render(
        request,
        f"{TEMPLATES}/facility.html",
        {
            "facility": facility,
            "photos": list(facility.photos.all()),
            "hours": hours_by_day(list(facility.opening_hours.all())),
            "days": grid_days(grid),
            "week": first,
            "previous_week": first - dt.timedelta(days=7) if first > week_start(today) else None,
            "next_week": first + dt.timedelta(days=7),
            "form": form,
            "booking_fields": [form[n] for n in ("minutes", "party_size", "unit") if n in form.fields],
            "series_field_list": [form["last_date"]] if form.offers_series else [],
            "waitlist": bool(units),
            "units": units,
            "chosen": request.POST.get("starts_at", "") if request.method == "POST" else "",
        },
        status=400 if request.method == "POST" else 200,
    )


def _join_waitlist(request: CompanyRequest, facility: Facility, form: BookingForm, unit: Any) -> HttpResponse:
    """A full slot's waitlist (the grid's "Join the waitlist"): the line's page with the resident's place."""
    starts_at, ends_at = form.span()
    entry = waitlist_join(
        facility=facility,
        user=request.user,
        unit=unit,
        starts_at=starts_at,
        ends_at=ends_at,
        party_size=form.cleaned_data["party_size"],
    )
    messages.success(request, _("You are on the waitlist. We will tell you when a place is free."))
    return redirect("portal:resident-waitlist-entry", pk=entry.pk)


def _book_series(request: CompanyRequest, facility: Facility, form: BookingForm, unit: Any) -> HttpResponse:
    """Book the chosen time every week (free facilities that allow it); weeks that could not be booked are
    said, not fatal."""
    starts_at, ends_at = form.span()
    result = series_create(
        facility=facility,
        by=request.user,
        starts_at=starts_at,
        ends_at=ends_at,
        as_staff=False,
        party_size=form.cleaned_data["party_size"],
        last_date=form.cleaned_data.get("last_date"),
        unit=unit,
    )
    messages.success(request, _("Weekly series set up: %(n)d bookings made.") % {"n": len(result.booked)})
    for day, why in result.skipped:
        messages.warning(request, _("%(day)s not booked: %(why)s") % {"day": f"{day:%Y-%m-%d}", "why": why})
    return redirect("portal:resident-bookings")


@permission_required(perms.CLUB_FACILITIES)
def facility_photo(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """A facility's photo, for whoever may see the facility (staff in their scope, residents whose homes may
    book it); served by the upload module (never inline as HTML)."""
    photo = FacilityPhoto.objects.filter(pk=pk, facility__in=facility_list(scope=scope_of(request))).first()
    if photo is None:
        raise Http404
    return upload_response(photo.image, kind=FACILITY_PHOTO, download_name=f"facility-photo-{photo.pk}")

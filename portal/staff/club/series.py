"""Weekly series (每周固定预约) for staff: the series of the scope's facilities (filter by facility and
status), setting one up for a home or a guest (weekday, time, first and last day) with the weeks it booked
and the weeks it skipped (full, closed, refused) shown at once, and one series with its bookings and ending
it (its bookings still to come are cancelled, in full). Writes go through backend.club.series."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.club import series as service
from backend.club.models import BookingSeries
from backend.club.selectors_flow import series_get, series_list
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from portal.resident.club.grid import WEEKDAYS, hhmm
from tenants.db import company_time_zone
from tenants.http import CompanyRequest

from .bookings import _unit_for
from .facilities import TEMPLATES, staff_facility_or_404
from .forms import SeriesForm


def _label(series: BookingSeries) -> str:
    end = series.start_minute + series.minutes
    return f"{WEEKDAYS[series.weekday]} {hhmm(series.start_minute)}–{hhmm(end)}"


@permission_required(perms.CLUB_MANAGE)
def series_index(request: CompanyRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = series_list(scope=scope_of(request), status=status if status in BookingSeries.Status.values else None)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    for s in page:
        s.label = _label(s)  # type: ignore[attr-defined]
    return render(
        request,
        f"{TEMPLATES}/series_list.html",
        {"page": page, "status": status, "statuses": BookingSeries.Status.choices, "query": f"status={status}"},
    )


@permission_required(perms.CLUB_MANAGE)
@require_http_methods(["GET", "POST"])
def series_new(request: CompanyRequest, pk: int) -> HttpResponse:
    facility = staff_facility_or_404(request, pk)
    form = SeriesForm(
        request.POST or None,
        initial={"minutes": facility.cell_minutes, "first_date": timezone.localdate() + dt.timedelta(days=1)},
    )
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        starts_at = form.first_start(company_time_zone())
        try:
            unit = _unit_for(request, data["unit"], facility.bookable_estate_ids) if data["unit"].strip() else None
            result = service.series_create(
                facility=facility,
                by=request.user,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=data["minutes"]),
                as_staff=True,
                party_size=data["party_size"],
                last_date=data["last_date"],
                unit=unit,
                guest_name="" if unit else data["guest_name"],
                guest_phone=data["guest_phone"],
            )
        except ApplicationError as error:
            if "starts_at" in error.fields:
                error.fields.setdefault("start_time", error.fields.pop("starts_at"))
            add_service_errors(form, error)
    if result is not None:
        result.series.label = _label(result.series)  # type: ignore[attr-defined]
        messages.success(
            request,
            ngettext("%(n)d week booked.", "%(n)d weeks booked.", len(result.booked)) % {"n": len(result.booked)},
        )
    return render(
        request,
        f"{TEMPLATES}/series_new.html",
        {"facility": facility, "form": form, "result": result},
        status=400 if request.method == "POST" and result is None else 200,
    )


@permission_required(perms.CLUB_MANAGE)
@require_http_methods(["GET", "POST"])
def series_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    series = series_get(scope=scope_of(request), series_id=pk)
    if series is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            cancelled = service.series_end(series=series, by=request.user, as_staff=True)
        except ApplicationError as refused:
            error = refused.message
        else:
            messages.success(
                request,
                ngettext(
                    "Series ended: %(n)d booking to come was cancelled.",
                    "Series ended: %(n)d bookings to come were cancelled.",
                    cancelled,
                )
                % {"n": cancelled},
            )
            return redirect("portal:staff-club-series-detail", pk=series.pk)
    series.label = _label(series)  # type: ignore[attr-defined]
    return render(
        request,
        f"{TEMPLATES}/series.html",
        {
            "series": series,
            "bookings": series.bookings.select_related("unit").order_by("starts_at", "id"),
            "error": error,
        },
        status=400 if error else 200,
    )

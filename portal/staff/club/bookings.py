"""Bookings of the facilities in the caller's scope: the list with filters (facility, status, day), one booking
with approve, reject (with a reason) and cancel (with a reason; the company cancels, so everything paid is owed
back), and booking for a home of the scope or a walk-in guest (guest prices). Writes go through
backend.club.booking."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing.money import yuan
from backend.club import booking as engine
from backend.club.models import Booking, BookingStatus
from backend.club.rules import midnight
from backend.club.selectors import booking_list, facility_list
from backend.errors import ApplicationError
from backend.properties.models import Unit
from portal.access import permission_check, permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of, units_in_scope
from tenants.db import company_time_zone
from tenants.http import CompanyRequest

from .booking_money import MONEY_ACTIONS, DeskPaidForm, booking_money, money_action
from .facilities import TEMPLATES, staff_facility_or_404
from .forms import BookingFilterForm, ReasonForm, StaffBookingForm


@permission_required(perms.CLUB_CHECKIN)
def bookings(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    choices = [(str(pk), name) for pk, name in facility_list(scope=scope).values_list("pk", "name")]
    form = BookingFilterForm(request.GET or None, facilities=choices)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    day: dt.date | None = data.get("date")
    tz = company_time_zone()
    qs = booking_list(
        scope=scope,
        facility_id=int(data["facility"]) if data.get("facility") else None,
        status=data.get("status") or None,
        starts_from=midnight(day, tz) if day else None,
        starts_before=midnight(day + dt.timedelta(days=1), tz) if day else None,
    )
    if not day:
        qs = qs.order_by("-starts_at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = urlencode({k: str(v) for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        f"{TEMPLATES}/bookings.html",
        {"form": form, "page": page, "query": query},
        status=400 if form.is_bound and form.errors else 200,
    )


def _booking_or_404(request: CompanyRequest, pk: int) -> Booking:
    booking = booking_list(scope=scope_of(request)).filter(pk=pk).first()
    if booking is None:
        raise Http404
    return booking


@permission_required(perms.CLUB_CHECKIN)
@require_http_methods(["GET", "POST"])
def booking_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    booking = _booking_or_404(request, pk)
    action = request.POST.get("action", "")
    reason_form = ReasonForm(request.POST if action in ("reject", "cancel", *MONEY_ACTIONS) else None)
    desk_form = DeskPaidForm(request.POST if action == "guest_paid" else None)
    error = ""
    if request.method == "POST":
        permission_check(request, perms.CLUB_MANAGE)
        try:
            text = _act(request, booking, action, reason_form, desk_form)
        except ApplicationError as refused:
            form = desk_form if action == "guest_paid" else reason_form
            if refused.fields:
                add_service_errors(form, refused)
            else:
                error = refused.message
        else:
            messages.success(request, text)
            return redirect("portal:staff-club-booking", pk=booking.pk)
    return render(
        request,
        f"{TEMPLATES}/booking.html",
        {
            "booking": booking,
            "reason_form": reason_form,
            "desk_form": desk_form,
            "action": action,
            "error": error,
            "can_manage": perms.CLUB_MANAGE.granted_to(request.membership),
            "cancellable": booking.status in engine.CANCELLABLE,
            # What a cancellation now would owe back (the company cancels: in full).
            "refund_if_cancelled": engine.refund_due(booking, now=timezone.now(), full=True),
            **booking_money(request, booking),
        },
        status=400 if request.method == "POST" else 200,
    )


def _act(request: CompanyRequest, booking: Booking, action: str, reason_form: Any, desk_form: Any) -> str:
    """Run the posted action through its service; the message to show (refusals raise ApplicationError)."""
    if action == "guest_paid" and desk_form.is_valid():
        return money_action(request, booking, action, method=desk_form.cleaned_data["method"])
    if action in ("deposit_release", "deposit_forfeit") and reason_form.is_valid():
        return money_action(request, booking, action, reason=reason_form.cleaned_data["reason"])
    if action == "approve":
        engine.booking_approve(booking=booking, by=request.user)
        return _("Booking approved.")
    if action == "reject" and reason_form.is_valid():
        engine.booking_reject(booking=booking, by=request.user, reason=reason_form.cleaned_data["reason"])
        return _("Booking rejected.")
    if action == "cancel" and reason_form.is_valid():
        cancelled = engine.booking_cancel_by_staff(
            booking=booking, by=request.user, reason=reason_form.cleaned_data["reason"]
        )
        if cancelled.unit_id is None and cancelled.refund_due_fen:
            return _("Booking cancelled. Hand back %(fen)s at the desk.") % {"fen": yuan(cancelled.refund_due_fen)}
        return _("Booking cancelled.")
    if action == "guest_paid" or reason_form.is_bound:
        raise ApplicationError(_("Check the form."))
    raise ApplicationError(_("Choose an action."))


def _unit_for(request: CompanyRequest, text: str, estate_ids: list[int]) -> Unit:
    """The one home of the scope (in an estate that may book) whose label or number matches what was typed."""
    text = " ".join(text.split())
    homes = units_in_scope(request).filter(estate_id__in=estate_ids)
    exact = list(homes.filter(Q(label=text) | Q(number=text))[:2])
    found = exact or list(homes.filter(label__icontains=text)[:2])
    if len(found) != 1:
        message = _("No home matches.") if not found else _("Several homes match: type the building too.")
        raise ApplicationError.for_fields({"unit": [message]})
    return found[0]


@permission_required(perms.CLUB_MANAGE)
@require_http_methods(["GET", "POST"])
def staff_book(request: CompanyRequest, pk: int) -> HttpResponse:
    facility = staff_facility_or_404(request, pk)
    form = StaffBookingForm(request.POST or None, initial={"minutes": facility.cell_minutes})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = _unit_for(request, data["unit"], facility.bookable_estate_ids) if data["unit"].strip() else None
            booking = engine.booking_create_by_staff(
                facility=facility,
                by=request.user,
                starts_at=data["starts_at"],
                ends_at=data["starts_at"] + dt.timedelta(minutes=data["minutes"]),
                party_size=data["party_size"],
                unit=unit,
                guest_name="" if unit else data["guest_name"],
                guest_phone=data["guest_phone"],
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Booked."))
            return redirect("portal:staff-club-booking", pk=booking.pk)
    return render(
        request,
        f"{TEMPLATES}/book.html",
        {"facility": facility, "form": form, "statuses": BookingStatus},
        status=400 if request.method == "POST" else 200,
    )

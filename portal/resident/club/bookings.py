"""My bookings: upcoming and past, each with its status, price and the QR code of its booking code (what the
door scans); cancelling explains the refund rule (the cutoff, the late-cancel share) before the resident
confirms. Only the resident's own bookings and their homes' are found (backend.club.selectors)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing.money import yuan
from backend.club.booking import CANCELLABLE, booking_cancel, refund_due
from backend.club.models import LIVE_STATUSES, Booking
from backend.club.selectors import booking_list
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

TEMPLATES = "portal/resident/club"
PAST_SHOWN = 30


@permission_required(perms.CLUB_BOOK)
def bookings(request: CompanyRequest) -> HttpResponse:
    now = timezone.now()
    mine = booking_list(scope=scope_of(request))
    upcoming = list(mine.filter(ends_at__gt=now, status__in=LIVE_STATUSES))
    past = list(mine.exclude(pk__in=[b.pk for b in upcoming]).order_by("-starts_at", "-id")[:PAST_SHOWN])
    return render(request, f"{TEMPLATES}/bookings.html", {"upcoming": upcoming, "past": past})


def booking_or_404(request: CompanyRequest, pk: int) -> Booking:
    booking = booking_list(scope=scope_of(request)).filter(pk=pk).first()
    if booking is None:
        raise Http404
    return booking


def refund_rule(booking: Booking, now: dt.datetime) -> dict[str, Any]:
    """What cancelling now gives back, and why: before the cutoff everything paid; after it the facility's
    share of the fee (and the deposit); nothing when nothing was paid yet."""
    facility = booking.facility
    cutoff = booking.starts_at - dt.timedelta(minutes=facility.cancel_cutoff_minutes)
    return {
        "cutoff": cutoff,
        "before_cutoff": now <= cutoff,
        "late_percent": facility.late_cancel_refund_percent,
        "paid": booking.paid_at is not None,
        "refund_now": refund_due(booking, now=now, full=False),
    }


@permission_required(perms.CLUB_BOOK)
def booking_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    booking = booking_or_404(request, pk)
    now = timezone.now()
    return render(
        request,
        f"{TEMPLATES}/booking.html",
        {
            "booking": booking,
            "can_cancel": booking.status in CANCELLABLE and booking.starts_at > now,
            "rule": refund_rule(booking, now),
        },
    )


@permission_required(perms.CLUB_BOOK)
@require_http_methods(["GET", "POST"])
def booking_cancel_page(request: CompanyRequest, pk: int) -> HttpResponse:
    booking = booking_or_404(request, pk)
    error = ""
    if request.method == "POST":
        try:
            cancelled = booking_cancel(booking=booking, by=request.user)
        except ApplicationError as refused:
            error = refused.message
        else:
            if cancelled.refund_due_fen:
                text = _("Booking cancelled. %(amount)s will be refunded.") % {"amount": yuan(cancelled.refund_due_fen)}
            else:
                text = _("Booking cancelled.")
            messages.success(request, text)
            return redirect("portal:resident-bookings")
    now = timezone.now()
    return render(
        request,
        f"{TEMPLATES}/cancel.html",
        {
            "booking": booking,
            "rule": refund_rule(booking, now),
            "can_cancel": booking.status in CANCELLABLE and booking.starts_at > now,
            "error": error,
        },
        status=409 if error else 200,
    )

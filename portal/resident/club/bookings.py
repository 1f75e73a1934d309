"""My bookings: upcoming and past, each with its status, price and the QR code of its booking code (what the
door scans), and the weekly series of the resident's homes (ended here); cancelling explains the refund rule
(the cutoff, the late-cancel share) before the resident confirms, and a cancelled booking says where its
refund stands. A held booking shows the time left on its hold, "Pay ¥x" (the pay page for its bill lines,
backend.club.money.booking_payable) and, where the company allows it, "Charge to my home's account". Only the
resident's own bookings and their homes' are found (backend.club.selectors)."""

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
from backend.club.models import LIVE_STATUSES, Booking, BookingSeries, BookingStatus, RefundStatus
from backend.club.money import booking_charge_to_account, booking_payable
from backend.club.selectors import booking_list
from backend.club.selectors_flow import series_list
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

from .grid import hhmm

TEMPLATES = "portal/resident/club"
PAST_SHOWN = 30


@permission_required(perms.CLUB_BOOK)
def bookings(request: CompanyRequest) -> HttpResponse:
    now = timezone.now()
    mine = booking_list(scope=scope_of(request))
    upcoming = list(mine.filter(ends_at__gt=now, status__in=LIVE_STATUSES))
    past = list(mine.exclude(pk__in=[b.pk for b in upcoming]).order_by("-starts_at", "-id")[:PAST_SHOWN])
    active = series_list(scope=scope_of(request), status=BookingSeries.Status.ACTIVE)
    series = [(s, hhmm(s.start_minute)) for s in active]
    return render(request, f"{TEMPLATES}/bookings.html", {"upcoming": upcoming, "past": past, "series": series})


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


def countdown(until: dt.datetime | None, now: dt.datetime) -> dict[str, Any]:
    """Time left until a hold or an offer lapses: the seconds (js/club-countdown.js ticks them) and "m:ss"."""
    seconds = max(0, int((until - now).total_seconds())) if until else 0
    return {"seconds": seconds, "text": f"{seconds // 60}:{seconds % 60:02d}"}


def refund_state(booking: Booking) -> dict[str, Any] | None:
    """Where a cancelled booking's money stands: owed back and being settled, waiting for the card's gateway,
    or refunded (to the card when it was paid online, else as prepaid credit on the home's account)."""
    if booking.status not in (BookingStatus.CANCELLED, BookingStatus.REJECTED):
        return None
    if booking.paid_at is None:
        return {"state": "nothing", "amount": 0}
    if booking.refund_due_fen <= 0 and booking.refund_status == RefundStatus.DONE:
        return {"state": "none_due", "amount": 0}
    state = {"gateway": "gateway", "done": "done"}.get(str(booking.refund_status), "pending")
    return {
        "state": state,
        "amount": booking.refund_due_fen,
        "to_card": booking.online_payment_id is not None,
        "at": booking.refunded_at,
    }


def detail_context(booking: Booking, now: dt.datetime) -> dict[str, Any]:
    held = booking.status == BookingStatus.HELD
    return {
        "booking": booking,
        "can_cancel": booking.status in CANCELLABLE and booking.starts_at > now,
        "rule": refund_rule(booking, now),
        "payable": booking_payable(booking) if held and booking.unit_id else None,
        "hold_left": countdown(booking.hold_expires_at, now) if held else None,
        "refund": refund_state(booking),
    }


@permission_required(perms.CLUB_BOOK)
def booking_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    booking = booking_or_404(request, pk)
    return render(request, f"{TEMPLATES}/booking.html", detail_context(booking, timezone.now()))


@permission_required(perms.CLUB_BOOK)
@require_http_methods(["POST"])
def booking_charge(request: CompanyRequest, pk: int) -> HttpResponse:
    """ "Charge to my home's account": the held booking is confirmed and its lines stay owed on the home's bills
    (where the company allows it and the home is not in arrears); a refusal is shown on the booking's page."""
    booking = booking_or_404(request, pk)
    try:
        booking_charge_to_account(booking=booking, by=request.user)
    except ApplicationError as refused:
        context = detail_context(booking_or_404(request, pk), timezone.now())
        context["charge_errors"] = [m for messages_ in refused.fields.values() for m in messages_] or [refused.message]
        return render(request, f"{TEMPLATES}/booking.html", context, status=refused.status or 400)
    messages.success(request, _("Booking confirmed. The amount is on your home's bills."))
    return redirect("portal:resident-booking", pk=pk)


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

"""My waitlist: the full slots the resident waits for, with their place in line (leave from here), and one
entry's page, which is where a waitlist offer leads (the club.waitlist_offer notification's url): an offered
place with the time left on it, to accept (confirmed, or held for payment when it costs money: then the
booking's page asks for the payment) or decline. Only the resident's own entries are found
(backend.club.selectors_flow.waitlist_get): another resident's or company's is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.club.models import BookingStatus, WaitlistEntry
from backend.club.money import booking_charges_post
from backend.club.selectors_flow import waitlist_get, waitlist_list, waitlist_positions
from backend.club.waitlist import OPEN, waitlist_accept, waitlist_decline, waitlist_leave
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

from .bookings import countdown

TEMPLATES = "portal/resident/club"
CLOSED_SHOWN = 10


@permission_required(perms.CLUB_BOOK)
def waitlist_page(request: CompanyRequest) -> HttpResponse:
    mine = waitlist_list(scope=scope_of(request))
    now = timezone.now()
    open_ = list(mine.filter(status__in=OPEN, ends_at__gt=now))
    closed = list(mine.exclude(pk__in=[e.pk for e in open_]).order_by("-starts_at", "-id")[:CLOSED_SHOWN])
    return render(
        request,
        f"{TEMPLATES}/waitlist.html",
        {"open": open_, "closed": closed, "positions": waitlist_positions(open_)},
    )


def entry_or_404(request: CompanyRequest, pk: int) -> WaitlistEntry:
    entry = waitlist_get(scope=scope_of(request), entry_id=pk)
    if entry is None:
        raise Http404
    return entry


@permission_required(perms.CLUB_BOOK)
@require_http_methods(["GET", "POST"])
def waitlist_entry(request: CompanyRequest, pk: int) -> HttpResponse:
    entry = entry_or_404(request, pk)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "accept":
                booking = waitlist_accept(entry=entry, by=request.user)
                if booking.status == BookingStatus.HELD:
                    booking_charges_post(booking=booking, by=request.user)  # the lines to pay, at once
                messages.success(request, _("The place is yours."))
                return redirect("portal:resident-booking", pk=booking.pk)
            if action == "decline":
                waitlist_decline(entry=entry, by=request.user)
                messages.success(request, _("Offer declined: the place goes to the next in line."))
                return redirect("portal:resident-waitlist")
            if action == "leave":
                waitlist_leave(entry=entry, by=request.user)
                messages.success(request, _("You have left the waitlist."))
                return redirect("portal:resident-waitlist")
            error = _("Choose what to do with this entry.")
        except ApplicationError as refused:
            error = refused.message
        entry = entry_or_404(request, pk)
    now = timezone.now()
    offered = entry.status == WaitlistEntry.Status.OFFERED and entry.booking_id is not None
    return render(
        request,
        f"{TEMPLATES}/waitlist_entry.html",
        {
            "entry": entry,
            "position": waitlist_positions([entry]).get(entry.pk),
            "offered": offered,
            "left": countdown(entry.offered_until, now) if offered else None,
            "error": error,
        },
        status=409 if error else 200,
    )

"""What happens around the bookings, for staff: the recent no-shows and the homes suspended after them (with
lifting a suspension early, with a reason), and a facility's waitlist by slot (who is waiting, in order, and
the offers out with their hold). Lookups go through backend.club.selectors_flow with the caller's scope."""

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
from backend.club.models import WaitlistEntry
from backend.club.selectors_flow import no_show_list, suspension_list, waitlist_list, waitlist_positions
from backend.club.suspensions import NO_SHOW_WINDOW, suspension_lift
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

from .facilities import TEMPLATES, staff_facility_or_404
from .forms import LiftForm

NO_SHOWS_SHOWN = 200


@permission_required(perms.CLUB_MANAGE)
@require_http_methods(["GET", "POST"])
def no_shows(request: CompanyRequest) -> HttpResponse:
    scope, now = scope_of(request), timezone.now()
    form = LiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        suspension = suspension_list(scope=scope, now=now).filter(pk=form.cleaned_data["suspension"]).first()
        if suspension is None:
            raise Http404
        try:
            suspension_lift(suspension=suspension, now=now, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Suspension lifted: %(home)s may book again.") % {"home": suspension.unit.label}
            )
            return redirect("portal:staff-club-no-shows")
    recent = list(no_show_list(scope=scope, since=now - NO_SHOW_WINDOW)[:NO_SHOWS_SHOWN])
    return render(
        request,
        f"{TEMPLATES}/no_shows.html",
        {"no_shows": recent, "suspensions": list(suspension_list(scope=scope, now=now)), "form": form},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.CLUB_CHECKIN)
def waitlist(request: CompanyRequest, pk: int) -> HttpResponse:
    facility = staff_facility_or_404(request, pk)
    now = timezone.now()
    entries = list(
        waitlist_list(scope=scope_of(request), facility_id=facility.pk)
        .filter(
            status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED],
            ends_at__gt=now,
        )
        .select_related("booking")
    )
    positions = waitlist_positions(entries)
    slots: dict[tuple[dt.datetime, dt.datetime], dict[str, Any]] = {}
    for e in entries:
        slot = slots.setdefault(
            (e.starts_at, e.ends_at), {"starts_at": e.starts_at, "ends_at": e.ends_at, "waiting": [], "offered": []}
        )
        if e.status == WaitlistEntry.Status.OFFERED:
            slot["offered"].append(e)
        else:
            e.position = positions.get(e.pk)  # type: ignore[attr-defined]
            slot["waiting"].append(e)
    for slot in slots.values():
        slot["waiting"].sort(key=lambda e: e.position or 0)
    return render(
        request,
        f"{TEMPLATES}/waitlist.html",
        {"facility": facility, "slots": sorted(slots.values(), key=lambda s: s["starts_at"])},
    )

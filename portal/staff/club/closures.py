"""A facility's closures (one-off and weekly): the list, and closing it. "Preview" lists the live bookings the
closure will cancel (their bookers are notified and owed back in full) before the manager confirms; lifting a
closure lets the slots take bookings again."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.club.closures import closure_affected, closure_create, closure_delete
from backend.club.models import Closure
from backend.club.selectors import facility_list
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

from .facilities import TEMPLATES, staff_facility_or_404
from .forms import ClosureForm


@permission_required(perms.CLUB_MANAGE)
@require_http_methods(["GET", "POST"])
def closures(request: CompanyRequest, pk: int) -> HttpResponse:
    facility = staff_facility_or_404(request, pk)
    form = ClosureForm(request.POST or None)
    affected = None
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        kind, reason = values.pop("kind"), values.pop("reason")
        try:
            if request.POST.get("confirm") != "1":
                affected = closure_affected(facility=facility, kind=kind, reason=reason, **values)
            else:
                _closure, cancelled = closure_create(
                    facility=facility, by=request.user, kind=kind, reason=reason, **values
                )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            if affected is None:
                messages.success(
                    request,
                    ngettext(
                        "Closed. %(n)d booking was cancelled and its booker notified.",
                        "Closed. %(n)d bookings were cancelled and their bookers notified.",
                        len(cancelled),
                    )
                    % {"n": len(cancelled)},
                )
                return redirect("portal:staff-club-closures", pk=facility.pk)
    return render(
        request,
        f"{TEMPLATES}/closures.html",
        {
            "facility": facility,
            "form": form,
            "affected": affected,
            "closures": Closure.objects.filter(facility=facility).order_by("-id"),
        },
        status=400 if request.method == "POST" and affected is None else 200,
    )


@permission_required(perms.CLUB_MANAGE)
@require_POST
def closure_lift(request: CompanyRequest, pk: int) -> HttpResponse:
    closure = Closure.objects.filter(pk=pk, facility__in=facility_list(scope=scope_of(request))).first()
    if closure is None:
        raise Http404
    facility_id = closure.facility_id
    closure_delete(closure=closure, by=request.user)
    messages.success(request, _("Closure lifted: the slots take bookings again."))
    return redirect("portal:staff-club-closures", pk=facility_id)

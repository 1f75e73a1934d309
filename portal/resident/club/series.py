"""Ending one of the resident's weekly series (set up from a facility's page, listed on my bookings): its
occurrences not yet started are cancelled and no more weeks are booked (backend.club.series.series_end).
Another home's or company's series is a 404 (backend.club.selectors_flow.series_get)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.club.selectors_flow import series_get
from backend.club.series import series_end
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.scope import scope_of
from tenants.http import CompanyRequest


@permission_required(perms.CLUB_BOOK)
@require_http_methods(["POST"])
def series_end_page(request: CompanyRequest, pk: int) -> HttpResponse:
    series = series_get(scope=scope_of(request), series_id=pk)
    if series is None:
        raise Http404
    try:
        cancelled = series_end(series=series, by=request.user, as_staff=False)
    except ApplicationError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Weekly series ended: %(n)d bookings cancelled.") % {"n": cancelled})
    return redirect("portal:resident-bookings")

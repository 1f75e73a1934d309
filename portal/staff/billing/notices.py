"""Payment notices (收费通知单) as PDF: one unit and month (staff within their scope, and the residents who
live there now; any other unit is a 404), or every billed unit of a building for a month (staff)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from backend.accounts import permissions as perms
from backend.billing import notices
from backend.billing.periods import parse_period
from backend.properties import selectors as registry
from backend.properties.scope import Scope
from portal.access import permission_required
from portal.common.scope import scope_of
from tenants.http import CompanyRequest


def _month_or_404(text: str) -> Any:
    try:
        return parse_period(text)
    except ValueError:
        raise Http404 from None


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@permission_required(perms.NOTICE_OR_OWN_HOMES)
def unit_notice(request: CompanyRequest, pk: int, period: str) -> HttpResponse:
    """Staff see the units in their scope; a resident only the units they live in now."""
    month = _month_or_404(period)
    membership = request.membership
    if membership is None:  # permission_required has let only members through
        raise PermissionDenied
    unit = None
    if perms.NOTICE_READ.granted_to(membership):
        unit = registry.unit_get(scope=Scope.of(membership), unit_id=pk)
    if unit is None and perms.RESIDENT_AREA.granted_to(membership):
        unit = registry.unit_get(scope=Scope(all_offices=False, resident_user_id=request.user.pk), unit_id=pk)
    if unit is None:
        raise Http404
    return _pdf(notices.unit_notice_pdf(unit, month), f"notice-{unit.pk}-{month:%Y-%m}")


@permission_required(perms.NOTICE_READ)
def building_notices(request: CompanyRequest, pk: int, period: str) -> HttpResponse:
    month = _month_or_404(period)
    building = registry.building_list(scope=scope_of(request)).filter(pk=pk).first()
    if building is None:
        raise Http404
    data = notices.building_notices_pdf(building, month)
    if data is None:
        messages.info(
            request,
            _("No unit of %(building)s was billed for %(month)s.")
            % {"building": f"{building.estate.name} {building.name}", "month": f"{month:%Y-%m}"},
        )
        query = {"period": f"{month:%Y-%m}", "group": "fee_item", "building": str(building.pk)}
        return redirect(f"{reverse('portal:billing-reports')}?{urlencode(query)}")
    return _pdf(data, f"notices-building-{building.pk}-{month:%Y-%m}")

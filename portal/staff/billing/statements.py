"""A unit's statement (对账单) for staff, with the money actions on the unit and its lines."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from backend.accounts import permissions as perms
from backend.properties import selectors as registry
from portal.access import permission_required
from portal.common.scope import scope_of
from portal.common.statements import statement_context
from tenants.http import CompanyRequest


@permission_required(perms.BILLING_READ)
def statement(request: CompanyRequest, pk: int) -> HttpResponse:
    unit = registry.unit_get(scope=scope_of(request), unit_id=pk)
    if unit is None:
        raise Http404
    context = statement_context(request, unit)
    status = 400 if context["filters"].is_bound and context["filters"].errors else 200
    return render(request, "portal/staff/billing/statement.html", context, status=status)

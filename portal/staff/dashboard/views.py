"""The staff home page: a welcome for a new company, the member's roles, the company."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from backend.access.selectors import role_names
from backend.accounts import permissions as perms
from portal.access import permission_required
from tenants.http import CompanyRequest


@permission_required(perms.STAFF_AREA)
def dashboard(request: CompanyRequest) -> HttpResponse:
    context = {"welcome": request.GET.get("welcome") == "1", "role_names": role_names()}
    return render(request, "portal/staff/dashboard/dashboard.html", context)

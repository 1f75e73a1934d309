from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from tenants.company.selectors import company_settings_get
from tenants.http import CompanyRequest

from ..access import resident_required


@resident_required
def home(request: CompanyRequest) -> HttpResponse:
    return render(request, "portal/resident/home.html", {"company": company_settings_get()})

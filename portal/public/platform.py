"""The platform site: what it is, and a property company signing itself up."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from backend.accounts.services import login_handoff_create
from backend.client_ip import client_ip
from backend.errors import ApplicationError
from backend.security_headers import csp_extend
from portal.access import public_view
from portal.common.forms import add_service_errors
from portal.public.forms import CompanySignupForm
from portal.throttling import rate_limited
from tenants.services import company_onboard, company_origins, company_url


@public_view
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/public/platform/landing.html")


@public_view
@require_http_methods(["GET", "POST"])
@rate_limited("company_signup")
def company_signup(request: HttpRequest) -> HttpResponse:
    # The form's answer redirects to the new company's domain, and form-action covers redirects too.
    csp_extend(request, {"form-action": [company_origins()]})
    form = CompanySignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = company_onboard(**form.cleaned_data, ip=client_ip(request.META))
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            ticket = login_handoff_create(user=result.admin, tenant=result.tenant)
            return redirect(company_url(result.domain.domain, f"/handoff/{ticket}/?next=/staff/%3Fwelcome%3D1"))
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/public/platform/signup.html", {"form": form}, status=status)

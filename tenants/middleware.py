"""Resolve the company from the Host header (django-tenants), then refuse suspended companies and set the
company's language and time zone for the request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware

from backend.api.health import healthz

from .db import company_time_zone
from .host_cache import hostname_normalise
from .hosts import tenant_for_hostname
from .models import Tenant

API_PREFIXES = ("/api/",)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES) or "application/json" in request.headers.get("Accept", "")


class TenantMiddleware(TenantMainMiddleware):
    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        return hostname_normalise(request.get_host())

    def get_tenant(self, domain_model: type, hostname: str) -> Tenant:  # type: ignore[override]
        # The cached lookup (tenants/hosts.py) instead of a domain ⋈ tenant query per request.
        tenant = tenant_for_hostname(hostname)
        if tenant is None:
            raise domain_model.DoesNotExist  # type: ignore[attr-defined]
        return tenant

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:  # type: ignore[override]
        if wants_json(request):
            return JsonResponse(
                {
                    "error": {
                        "code": "unknown_company",
                        "message": _("No company at this address."),
                        "fields": {},
                    }
                },
                status=404,
            )
        response = render(request, "portal/unknown_company.html", {"hostname": hostname}, status=404)
        return response

    def process_request(self, request: HttpRequest) -> HttpResponse | None:  # type: ignore[override]
        if request.path == "/healthz":
            # Health must answer even when the database (and so the domain lookup) is down.
            return healthz(request)
        response = super().process_request(request)
        if response is not None:
            return response
        tenant: Tenant = request.tenant  # type: ignore[attr-defined]
        if tenant.status in (Tenant.Status.TEMPLATE, Tenant.Status.SPARE):
            return self.no_tenant_found(request, request.get_host())
        if tenant.is_suspended:
            reason = tenant.suspended_reason or _("This company's account is suspended.")
            if wants_json(request):
                return JsonResponse(
                    {"error": {"code": "company_suspended", "message": reason, "fields": {}}}, status=403
                )
            if not request.path.startswith(settings.STATIC_URL):
                return render(request, "portal/suspended.html", {"tenant": tenant, "reason": reason}, status=403)
        return None


class TenantLocaleMiddleware:
    """Language: the visitor's choice (cookie), else the company's default. Time zone: the company's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        supported = {code for code, _name in settings.LANGUAGES}
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in supported:
            language = getattr(tenant, "default_language", None) or settings.LANGUAGE_CODE
            if language not in supported:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        timezone.activate(company_time_zone(tenant))
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        response.headers.setdefault("Content-Language", language)
        patch = response.headers.get("Vary", "")
        if "Cookie" not in patch:
            response.headers["Vary"] = f"{patch}, Cookie" if patch else "Cookie"
        return response

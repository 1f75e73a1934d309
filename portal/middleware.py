"""Deny by default for the portal's pages (see portal/access.py). The API (DRF's RolePermission), /healthz,
/i18n/, static files and the operators' admin answer for themselves and are left alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from .access import access_denial, access_of

# The application namespaces of portal/urls_tenant.py (company domains), portal/urls_public.py (platform) and
# portal/merchant/urls.py (the merchants' portal on the platform domain).
PORTAL_APP_NAMES = frozenset({"portal", "platform", "merchant"})


class PortalAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        match = request.resolver_match
        if match is None or PORTAL_APP_NAMES.isdisjoint(match.app_names):
            return None
        return access_denial(request, access_of(view_func))

"""The error pages of company domains (403, 404, 500): HTML, or the API's error shape for JSON callers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

from portal.access import public_view
from tenants.middleware import wants_json


@public_view
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": {"code": "permission_denied", "message": "Forbidden.", "fields": {}}}, status=403)
    return render(request, "403.html", status=403)


@public_view
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": {"code": "not_found", "message": "Not found.", "fields": {}}}, status=404)
    return render(request, "404.html", status=404)


@public_view
def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever failed may fail again while rendering.
    if wants_json(request):
        return JsonResponse({"error": {"code": "server_error", "message": "Server error.", "fields": {}}}, status=500)
    return HttpResponse(loader.get_template("500.html").render(), status=500)

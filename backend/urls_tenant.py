"""URLconf of every company domain: the staff, resident and merchant portals and the company API."""

from django.urls import include, path

from backend.api.health import healthz
from backend.api.urls import tenant_urlpatterns

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    *tenant_urlpatterns,
    path("", include("portal.urls_tenant")),
]

handler403 = "portal.public.errors.permission_denied"
handler404 = "portal.public.errors.page_not_found"
handler500 = "portal.public.errors.server_error"

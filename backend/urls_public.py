"""URLconf of the platform domain: company sign-up, the operators' admin, API sign-up, health, and the
merchants' portal (/merchant/) and API (/api/v1/merchant/)."""

from django.contrib import admin
from django.urls import include, path

from backend.api.health import healthz
from backend.api.urls import public_urlpatterns
from marketplace.merchant_api_urls import urlpatterns as merchant_api_urlpatterns
from portal.throttling import rate_limited

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The operators' sign-in, rate-limited per client IP (matched before the admin's own login/ route).
    path("operator/login/", rate_limited("operator_login")(admin.site.login)),
    # The operator console (tenants/console.py): companies, the onboarding funnel, health, webhooks, merchants.
    path("operator/console/", include("tenants.console_urls")),
    path("operator/", admin.site.urls),
    *public_urlpatterns,
    *merchant_api_urlpatterns,
    path("merchant/", include("portal.merchant.urls")),
    path("", include("portal.urls_public")),
]

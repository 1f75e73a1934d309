"""API routes. /api/v1/ on the platform domain carries sign-up; on a company domain, everything else."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from backend.access.api import InvitationListApi, InvitationRevokeApi, MemberDetailApi, MemberListApi
from backend.accounts.api import MeApi, ResidentSignupApi, TokenApi
from backend.audit.api import AuditLogApi
from backend.notifications.api import NotificationListApi, NotificationReadAllApi
from tenants.api import SignupApi


def docs_urlpatterns(urlconf: str) -> list:
    # Each domain documents its own URLconf: sign-up on the platform, the company API on companies.
    return [
        path("api/schema/", SpectacularAPIView.as_view(urlconf=urlconf), name="api-schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    ]


public_urlpatterns = [
    path("api/v1/signup/", SignupApi.as_view(), name="api-signup"),
    *docs_urlpatterns("backend.urls_public"),
]

tenant_urlpatterns = [
    path("api/v1/auth/token/", TokenApi.as_view(), name="api-token"),
    path("api/v1/me/", MeApi.as_view(), name="api-me"),
    path("api/v1/residents/signup/", ResidentSignupApi.as_view(), name="api-resident-signup"),
    path("api/v1/invitations/", InvitationListApi.as_view(), name="api-invitations"),
    path("api/v1/invitations/<int:pk>/revoke/", InvitationRevokeApi.as_view(), name="api-invitation-revoke"),
    path("api/v1/members/", MemberListApi.as_view(), name="api-members"),
    path("api/v1/members/<int:pk>/", MemberDetailApi.as_view(), name="api-member"),
    path("api/v1/audit-log/", AuditLogApi.as_view(), name="api-audit-log"),
    path("api/v1/notifications/", NotificationListApi.as_view(), name="api-notifications"),
    path("api/v1/notifications/read-all/", NotificationReadAllApi.as_view(), name="api-notifications-read-all"),
    *docs_urlpatterns("backend.urls_tenant"),
]

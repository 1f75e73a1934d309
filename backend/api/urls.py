"""API routes. /api/v1/ on the platform domain carries sign-up; on a company domain, everything else."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backend.access.api import InvitationListApi, InvitationRevokeApi, MemberDetailApi, MemberListApi
from backend.accounts.api import MeApi, ResidentSignupApi, TokenApi
from backend.audit.api import AuditLogApi
from backend.billing.urls import urlpatterns as billing_urlpatterns
from backend.club.urls import urlpatterns as club_urlpatterns
from backend.desk.api import urlpatterns as desk_urlpatterns
from backend.desk.complaint_api import urlpatterns as desk_complaint_urlpatterns
from backend.gate.api import urlpatterns as gate_urlpatterns
from backend.gateway.webhooks import stripe_webhook
from backend.notifications import api as inbox
from backend.payments.urls import urlpatterns as payments_urlpatterns
from backend.privacy.api import urlpatterns as privacy_urlpatterns
from backend.properties import api as registry
from backend.renovation.api import urlpatterns as renovation_urlpatterns
from marketplace.api_shop import urlpatterns as shop_urlpatterns
from marketplace.company.api import urlpatterns as marketplace_company_urlpatterns
from marketplace.groupbuy.api import urlpatterns as groupbuy_urlpatterns
from marketplace.orders.api import urlpatterns as shop_orders_urlpatterns
from marketplace.settlement.api import urlpatterns as settlement_urlpatterns
from tenants.api import SignupApi


def docs_urlpatterns(urlconf: str) -> list:
    # Each domain documents its own URLconf: sign-up on the platform, the company API on companies. The split
    # view serves swagger-ui's start-up script as a file of its own (?script), as the CSP wants.
    return [
        path("api/schema/", SpectacularAPIView.as_view(urlconf=urlconf), name="api-schema"),
        path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    ]


public_urlpatterns = [
    path("api/v1/signup/", SignupApi.as_view(), name="api-signup"),
    path("api/v1/payments/stripe/webhook/", stripe_webhook, name="api-stripe-webhook"),
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
    path("api/v1/notifications/", inbox.NotificationListApi.as_view(), name="api-notifications"),
    path("api/v1/notifications/unread-count/", inbox.UnreadCountApi.as_view(), name="api-notifications-unread"),
    path("api/v1/notifications/read-all/", inbox.NotificationReadAllApi.as_view(), name="api-notifications-read-all"),
    path("api/v1/notifications/preferences/", inbox.PreferencesApi.as_view(), name="api-notification-preferences"),
    path("api/v1/notifications/<int:pk>/read/", inbox.NotificationReadApi.as_view(), name="api-notification-read"),
    path("api/v1/announcements/", inbox.AnnouncementListApi.as_view(), name="api-announcements"),
    path("api/v1/announcements/<int:pk>/read/", inbox.AnnouncementReadApi.as_view(), name="api-announcement-read"),
    path("api/v1/offices/", registry.OfficeListApi.as_view(), name="api-offices"),
    path("api/v1/estates/", registry.EstateListApi.as_view(), name="api-estates"),
    path("api/v1/buildings/", registry.BuildingListApi.as_view(), name="api-buildings"),
    path(
        "api/v1/buildings/<int:pk>/generate-units/",
        registry.BuildingGenerateApi.as_view(),
        name="api-building-generate",
    ),
    path("api/v1/units/", registry.UnitListApi.as_view(), name="api-units"),
    path("api/v1/units/bulk-update/", registry.UnitBulkUpdateApi.as_view(), name="api-units-bulk-update"),
    path("api/v1/units/<int:pk>/", registry.UnitDetailApi.as_view(), name="api-unit"),
    path("api/v1/people/", registry.PersonListApi.as_view(), name="api-people"),
    path("api/v1/people/<int:pk>/", registry.PersonDetailApi.as_view(), name="api-person"),
    path("api/v1/people/<int:pk>/reveal/", registry.PersonRevealApi.as_view(), name="api-person-reveal"),
    path("api/v1/occupancies/", registry.OccupancyListApi.as_view(), name="api-occupancies"),
    path("api/v1/occupancies/<int:pk>/move-out/", registry.OccupancyMoveOutApi.as_view(), name="api-move-out"),
    path("api/v1/binding-requests/", registry.BindingListApi.as_view(), name="api-binding-requests"),
    path("api/v1/binding-requests/<int:pk>/approve/", registry.BindingApproveApi.as_view(), name="api-binding-approve"),
    path("api/v1/binding-requests/<int:pk>/reject/", registry.BindingRejectApi.as_view(), name="api-binding-reject"),
    path("api/v1/parking-spaces/", registry.ParkingListApi.as_view(), name="api-parking-spaces"),
    path("api/v1/search/", registry.SearchApi.as_view(), name="api-search"),
    *docs_urlpatterns("backend.urls_tenant"),
    *billing_urlpatterns,
    *payments_urlpatterns,
    *club_urlpatterns,
    *desk_urlpatterns,
    *gate_urlpatterns,
    *renovation_urlpatterns,
    *desk_complaint_urlpatterns,
    *marketplace_company_urlpatterns,
    *shop_urlpatterns,
    *shop_orders_urlpatterns,
    *groupbuy_urlpatterns,
    *settlement_urlpatterns,
    *privacy_urlpatterns,
]

"""/api/v1/merchant/ on the platform domain (backend/urls_public.py includes these)."""

from __future__ import annotations

from django.urls import path

from . import api_merchant as account
from . import api_merchant_catalogue as cat
from .groupbuy.api import merchant_urlpatterns as deals_urlpatterns
from .orders.api import merchant_urlpatterns as orders_urlpatterns
from .settlement.api import merchant_urlpatterns as statements_urlpatterns

P = "api/v1/merchant/"

urlpatterns = [
    path(f"{P}auth/token/", account.MerchantTokenApi.as_view(), name="api-merchant-token"),
    path(f"{P}signup/", account.MerchantSignupApi.as_view(), name="api-merchant-signup"),
    path(f"{P}me/", account.MeApi.as_view(), name="api-merchant-me"),
    path(f"{P}dashboard/", account.DashboardApi.as_view(), name="api-merchant-dashboard"),
    path(f"{P}profile/", account.ProfileApi.as_view(), name="api-merchant-profile"),
    path(f"{P}profile/licence/", account.LicenceApi.as_view(), name="api-merchant-licence"),
    path(f"{P}members/", account.MemberListApi.as_view(), name="api-merchant-members"),
    path(f"{P}members/<int:pk>/", account.MemberDetailApi.as_view(), name="api-merchant-member"),
    path(f"{P}companies/", account.CompanyListApi.as_view(), name="api-merchant-companies"),
    path(f"{P}applications/", account.ApplicationListApi.as_view(), name="api-merchant-applications"),
    path(f"{P}applications/<int:pk>/", account.ApplicationDetailApi.as_view(), name="api-merchant-application"),
    path(
        f"{P}applications/<int:pk>/withdraw/",
        account.ApplicationWithdrawApi.as_view(),
        name="api-merchant-application-withdraw",
    ),
    path(f"{P}audit-log/", account.AuditLogApi.as_view(), name="api-merchant-audit-log"),
    path(f"{P}notices/", account.NoticeListApi.as_view(), name="api-merchant-notices"),
    path(f"{P}notices/read-all/", account.NoticeReadAllApi.as_view(), name="api-merchant-notices-read"),
    path(f"{P}listings/", cat.ListingListApi.as_view(), name="api-merchant-listings"),
    path(f"{P}listings/<int:pk>/", cat.ListingDetailApi.as_view(), name="api-merchant-listing"),
    path(f"{P}listings/<int:pk>/active/", cat.ListingActiveApi.as_view(), name="api-merchant-listing-active"),
    path(f"{P}listings/<int:pk>/variants/", cat.VariantListApi.as_view(), name="api-merchant-variants"),
    path(f"{P}listings/<int:pk>/photos/", cat.PhotoListApi.as_view(), name="api-merchant-photos"),
    path(f"{P}listings/<int:pk>/photos/order/", cat.PhotoOrderApi.as_view(), name="api-merchant-photo-order"),
    path(f"{P}listings/<int:pk>/slots/", cat.SlotListApi.as_view(), name="api-merchant-slots"),
    path(f"{P}variants/<int:pk>/", cat.VariantDetailApi.as_view(), name="api-merchant-variant"),
    path(f"{P}photos/<int:pk>/", cat.PhotoDetailApi.as_view(), name="api-merchant-photo"),
    path(f"{P}photos/<int:pk>/image/", cat.PhotoImageApi.as_view(), name="api-merchant-photo-image"),
    path(f"{P}slots/<int:pk>/", cat.SlotDetailApi.as_view(), name="api-merchant-slot"),
    path(f"{P}specials/", cat.SpecialListApi.as_view(), name="api-merchant-specials"),
    path(f"{P}specials/<int:pk>/", cat.SpecialDetailApi.as_view(), name="api-merchant-special"),
    *orders_urlpatterns,
    *deals_urlpatterns,
    *statements_urlpatterns,
]

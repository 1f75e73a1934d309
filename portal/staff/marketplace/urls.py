from django.urls import path

from . import settlement, views, views_aftersale

urlpatterns = [
    path("staff/marketplace/", views.applications, name="staff-marketplace-applications"),
    path("staff/marketplace/applications/<int:pk>/", views.application_detail, name="staff-marketplace-application"),
    path(
        "staff/marketplace/applications/<int:pk>/licence/",
        views.application_licence,
        name="staff-marketplace-licence",
    ),
    path("staff/marketplace/merchants/", views.merchants, name="staff-marketplace-merchants"),
    path("staff/marketplace/categories/", views.categories, name="staff-marketplace-categories"),
    path("staff/marketplace/listings/", views.listings, name="staff-marketplace-listings"),
    path("staff/marketplace/refunds/", views_aftersale.refunds_list, name="staff-marketplace-refunds"),
    path("staff/marketplace/refunds/<int:pk>/", views_aftersale.refund_detail, name="staff-marketplace-refund"),
    path("staff/marketplace/complaints/", views_aftersale.complaints_list, name="staff-marketplace-complaints"),
    path(
        "staff/marketplace/complaints/<int:pk>/", views_aftersale.complaint_detail, name="staff-marketplace-complaint"
    ),
    path(
        "staff/marketplace/aftersale-photos/<int:pk>/",
        views_aftersale.aftersale_photo,
        name="staff-marketplace-aftersale-photo",
    ),
]

# Settlement and payouts (finance), marketplace reports.
urlpatterns += [
    path("staff/marketplace/settlement/", settlement.settlement, name="staff-marketplace-settlement"),
    path("staff/marketplace/settlement/build/", settlement.settlement_build, name="staff-marketplace-settlement-build"),
    path("staff/marketplace/settlement/<int:pk>/", settlement.statement_detail, name="staff-marketplace-statement"),
    path(
        "staff/marketplace/settlement/<int:pk>/statement.pdf",
        settlement.statement_pdf,
        name="staff-marketplace-statement-pdf",
    ),
    path(
        "staff/marketplace/settlement/<int:pk>/statement.xlsx",
        settlement.statement_xlsx,
        name="staff-marketplace-statement-xlsx",
    ),
    path(
        "staff/marketplace/settlement/accounts/<int:merchant_id>/",
        settlement.payout_account,
        name="staff-marketplace-payout-account",
    ),
    path("staff/marketplace/reports/", settlement.marketplace_reports, name="staff-marketplace-reports"),
    path(
        "staff/marketplace/reports/export.xlsx",
        settlement.marketplace_reports_export,
        name="staff-marketplace-reports-export",
    ),
]

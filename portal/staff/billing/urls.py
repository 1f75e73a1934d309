from django.urls import path

from . import configuration, fees, money, notices, reports, runs, statements, waivers

urlpatterns = [
    path("staff/billing/fees/", fees.fee_items, name="billing-fees"),
    path("staff/billing/fees/<int:pk>/", fees.fee_item_detail, name="billing-fee"),
    path("staff/billing/runs/", runs.bill_runs, name="billing-runs"),
    path("staff/billing/runs/<int:pk>/", runs.bill_run_detail, name="billing-run"),
    path("staff/billing/runs/<int:pk>/progress/", runs.bill_run_progress, name="billing-run-progress"),
    path("staff/billing/units/<int:pk>/statement/", statements.statement, name="billing-statement"),
    path("staff/billing/units/<int:pk>/payment/", money.payment_record, name="billing-payment-record"),
    path("staff/billing/units/<int:pk>/deposits/", money.deposits, name="billing-deposits"),
    path("staff/billing/units/<int:pk>/adhoc/", money.adhoc_charge, name="billing-adhoc"),
    path("staff/billing/lines/<int:pk>/waiver/", waivers.waiver_request, name="billing-waiver-request"),
    path("staff/billing/waivers/", waivers.waivers, name="billing-waivers"),
    path("staff/billing/settings/", configuration.billing_settings, name="billing-settings"),
    path("staff/billing/reports/", reports.reports_page, name="billing-reports"),
    path("staff/billing/reports/export.xlsx", reports.reports_export, name="billing-reports-export"),
    # The notice of one unit is for staff and for the residents who live there (no staff/ in its path).
    path("billing/units/<int:pk>/notice/<str:period>/", notices.unit_notice, name="billing-notice"),
    path(
        "staff/billing/buildings/<int:pk>/notices/<str:period>/",
        notices.building_notices,
        name="billing-building-notices",
    ),
]

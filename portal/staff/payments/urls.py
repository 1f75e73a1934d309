from django.urls import path

from . import bank_collection, configuration, counter, followup, payments, report

urlpatterns = [
    path("staff/payments/counter/", counter.counter, name="payments-counter"),
    path("staff/payments/receipts/", counter.receipts, name="payments-receipts"),
    path("staff/payments/receipts/<int:pk>/", counter.receipt_detail, name="payments-receipt"),
    path("staff/payments/receipts/<int:pk>/pdf/", counter.receipt_pdf, name="payments-receipt-pdf"),
    path("staff/payments/day-close/", counter.day_close_page, name="payments-day-close"),
    path("staff/payments/", payments.payment_list, name="payments-list"),
    path("staff/payments/<int:pk>/", payments.payment_detail, name="payments-detail"),
    path("staff/payments/followup/", followup.followup, name="payments-followup"),
    path("staff/payments/report/", report.report, name="payments-report"),
    path("staff/payments/settings/", configuration.payment_settings, name="payments-settings"),
    path("staff/payments/bank-collection/", bank_collection.bank_collection, name="payments-bank-collection"),
    path(
        "staff/payments/bank-collection/<int:pk>/",
        bank_collection.bank_collection_detail,
        name="payments-bank-collection-detail",
    ),
    path(
        "staff/payments/bank-collection/template.csv",
        bank_collection.bank_collection_template,
        name="payments-bank-collection-template",
    ),
]

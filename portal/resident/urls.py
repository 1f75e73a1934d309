from django.urls import path

from . import bills, home, homes, my_data, payments

urlpatterns = [
    path("resident/", home.home, name="resident-home"),
    path("resident/bind/", homes.bind, name="resident-bind"),
    path("resident/bills/", bills.bills, name="resident-bills"),
    path("resident/bills/<int:pk>/statement/", bills.statement, name="resident-statement"),
    path("resident/pay/", payments.pay, name="resident-pay"),
    path("resident/pay/start/", payments.pay_start, name="resident-pay-start"),
    path("resident/pay/card-setup/", payments.card_setup, name="resident-card-setup"),
    path("resident/pay/<int:pk>/", payments.pay_result, name="resident-pay-result"),
    path("resident/pay/<int:pk>/confirm/", payments.pay_confirm, name="resident-pay-confirm"),
    path("resident/pay/<int:pk>/refresh/", payments.pay_refresh, name="resident-pay-refresh"),
    path("resident/pay/<int:pk>/redirect/", payments.pay_redirect, name="resident-pay-redirect"),
    path("resident/receipts/<int:pk>/pdf/", payments.receipt_pdf, name="resident-receipt-pdf"),
    path("resident/autopay/", payments.autopay, name="resident-autopay"),
    path("resident/autopay/enable/", payments.autopay_enable, name="resident-autopay-enable"),
    path("resident/my-data/", my_data.my_data, name="resident-my-data"),
    path("resident/my-data/download/", my_data.my_data_download, name="resident-my-data-download"),
]

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "backend.payments"
    label = "payments"
    verbose_name = "Payments (online, autopay, counter, receipts, refunds, day close)"

    def ready(self) -> None:
        from . import hooks, kinds  # noqa: F401  (receipts on every payment, autopay after bill runs, kinds)

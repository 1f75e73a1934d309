from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "marketplace.orders"
    label = "marketplace_orders"
    verbose_name = "Shop orders (company schema)"

    def ready(self) -> None:
        # Notification kinds, and the payment hook: a payment that leaves an order's lines paid marks it paid,
        # inside the payment's own transaction (as the club's bookings).
        from backend.billing.hooks import on_payment_recorded, on_payments_recorded

        from . import kinds, tasks  # noqa: F401
        from .flow import payment_pays_orders, payments_pay_orders

        on_payment_recorded(payment_pays_orders)
        on_payments_recorded(payments_pay_orders)

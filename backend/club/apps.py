from django.apps import AppConfig


class ClubConfig(AppConfig):
    name = "backend.club"
    label = "club"
    verbose_name = "Club facilities (会所)"

    def ready(self) -> None:
        # The notification kinds, the websocket topic "facility" and the tasks the services enqueue by name.
        from backend.billing.hooks import on_payment_recorded, on_payments_recorded

        from . import kinds, realtime, tasks  # noqa: F401
        from .money import payment_confirms_bookings, payments_confirm_bookings

        # A payment that leaves a held booking's lines paid confirms it, inside the payment's transaction.
        on_payment_recorded(payment_confirms_bookings)
        on_payments_recorded(payments_confirm_bookings)

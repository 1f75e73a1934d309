from django.apps import AppConfig


class ClubConfig(AppConfig):
    name = "backend.club"
    label = "club"
    verbose_name = "Club facilities (会所)"

    def ready(self) -> None:
        # The notification kinds, the websocket topic "facility", the tasks the services enqueue by name, the
        # waitlist's hook on released places (booking.RELEASE_HOOKS), and training classes' notification kinds
        # and payment hook (enrolments marked paid).
        from backend.billing.hooks import on_payment_recorded, on_payments_recorded

        from . import classes_money, kinds, realtime, tasks, waitlist  # noqa: F401
        from .money import payment_confirms_bookings, payments_confirm_bookings

        # A payment that leaves a held booking's lines paid confirms it, inside the payment's transaction.
        on_payment_recorded(payment_confirms_bookings)
        on_payments_recorded(payments_confirm_bookings)

from django.apps import AppConfig


class RenovationConfig(AppConfig):
    name = "backend.renovation"
    label = "renovation"
    verbose_name = "Renovation (装修)"

    def ready(self) -> None:
        # The notification kinds, and billing's payment hooks: a payment that leaves an approved application's
        # deposit and debris fee paid registers the deposit and issues the permit, inside the payment's
        # transaction.
        from backend.billing.hooks import on_payment_recorded, on_payments_recorded

        from . import kinds, tasks  # noqa: F401
        from .money import payment_issues_permits, payments_issue_permits

        on_payment_recorded(payment_issues_permits)
        on_payments_recorded(payments_issue_permits)

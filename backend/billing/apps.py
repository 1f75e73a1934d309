from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "backend.billing"
    label = "billing"
    verbose_name = "Billing and the ledger (收费管理)"

    def ready(self) -> None:
        from . import kinds, sections  # noqa: F401  (register notification kinds and the unit page section)

from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "marketplace.settlement"
    label = "marketplace_settlement"
    verbose_name = "Marketplace settlement: payables ledger, statements, payouts (company schema)"

    def ready(self) -> None:
        from . import kinds, tasks  # noqa: F401

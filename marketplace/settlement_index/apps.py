from django.apps import AppConfig


class SettlementIndexConfig(AppConfig):
    name = "marketplace.settlement_index"
    label = "marketplace_settlement_index"
    verbose_name = "Marketplace settlement: the per-merchant index of statements (public schema)"

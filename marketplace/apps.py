from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    """Merchants, vetting, catalog, orders, commission (a later issue). Merchants serve many companies, so
    this app lives in the public schema."""

    name = "marketplace"
    verbose_name = "Community marketplace"

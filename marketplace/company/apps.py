from django.apps import AppConfig


class MarketplaceCompanyConfig(AppConfig):
    """What one company decides about the marketplace, kept in its own schema: which categories are on and
    the commission on each, and the listings it hid."""

    name = "marketplace.company"
    label = "marketplace_company"
    verbose_name = "Community marketplace (per company)"

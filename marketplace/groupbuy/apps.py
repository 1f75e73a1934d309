from django.apps import AppConfig


class GroupbuyConfig(AppConfig):
    """Group-buy (团购) deals and their participants, in the company's schema: each join is a shop order at the
    deal's price, held back from the merchant until the deal succeeds at its deadline."""

    name = "marketplace.groupbuy"
    label = "marketplace_groupbuy"
    verbose_name = "Group-buy deals (company schema)"

    def ready(self) -> None:
        from marketplace.orders.holds import on_order_hold

        from . import kinds, tasks  # noqa: F401
        from .services import orders_held_by_deals

        on_order_hold(orders_held_by_deals)

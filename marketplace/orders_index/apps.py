from django.apps import AppConfig


class OrdersIndexConfig(AppConfig):
    name = "marketplace.orders_index"
    label = "marketplace_orders_index"
    verbose_name = "Shop orders: the per-merchant index (public schema)"

from django.apps import AppConfig


class AftersaleIndexConfig(AppConfig):
    name = "marketplace.aftersale_index"
    label = "marketplace_aftersale_index"
    verbose_name = "Shop after-sale: the per-merchant index of refund requests and reviews (public schema)"

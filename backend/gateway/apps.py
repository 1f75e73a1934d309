from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "backend.gateway"
    label = "gateway"
    verbose_name = "Payment gateway (platform level: Stripe accounts and the webhook inbox)"

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "backend.gateway"
    label = "gateway"
    verbose_name = "Payment gateway (platform level: Stripe accounts and the webhook inbox)"

    def ready(self) -> None:
        # Registers the tasks the services enqueue by name (backend.celery.task_named) in web processes too;
        # imported here, after the apps are loaded, because the tasks import the services and models.
        from . import tasks  # noqa: F401

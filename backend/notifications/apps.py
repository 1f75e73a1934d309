from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "backend.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Registers the tasks the services enqueue by name (backend.celery.task_named) in web processes too;
        # imported here, after the apps are loaded, because the tasks import the services and models.
        from . import tasks  # noqa: F401

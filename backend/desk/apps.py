from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "backend.desk"
    label = "desk"
    verbose_name = "Service desk (客户服务)"

    def ready(self) -> None:
        # The notification kinds and the tasks enqueued by name (the SLA sweep).
        from . import kinds, tasks  # noqa: F401

from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "backend.properties"
    label = "properties"
    verbose_name = "Property registry (物业资源 / 客户管理)"

    def ready(self) -> None:
        # Registers the import task that imports.import_job_start enqueues by name (backend.celery.task_named)
        # in web processes too, not only in workers.
        from . import tasks  # noqa: F401

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "backend.billing"
    label = "billing"
    verbose_name = "Billing and the ledger (收费管理)"

    def ready(self) -> None:
        # Notification kinds, the unit page's section, and the tasks: runs.py enqueues its task by name
        # (backend.celery.task_named), so web processes need it registered too, not only the workers.
        from . import kinds, sections, tasks  # noqa: F401

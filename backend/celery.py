"""Celery with tenant-schemas-celery: a task enqueued while a company's schema is active carries that
schema in its headers, and the worker runs it there."""

from __future__ import annotations

import os
from typing import Any

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")

app = CeleryApp("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # tasks.py of every installed app


def task_named(name: str) -> Any:
    """The registered task called `name`. A service whose task calls back into it enqueues this way, so the
    imports point one way only (tasks → services) and no function-level import hides a cycle. The app's
    AppConfig.ready() imports its tasks module, so the name is known in web processes too, not only in the
    workers (which autodiscover every app's tasks.py)."""
    return app.tasks[name]

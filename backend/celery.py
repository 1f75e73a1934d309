"""Celery with tenant-schemas-celery: a task enqueued while a company's schema is active carries that
schema in its headers, and the worker runs it there."""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")

app = CeleryApp("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # tasks.py of every installed app

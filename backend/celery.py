"""Celery with tenant-schemas-celery: a task enqueued while a company's schema is active carries that
schema in its headers, and the worker runs it there.

A task whose company no longer exists (deleted, or enqueued against another database, as a benchmark's
tasks once were in the demo's worker) is dropped with a warning. tenant-schemas-celery switches the schema
in a task_prerun handler; when the company's row is missing the handler raises, Celery only logs a signal
handler's exception, and the task would then run in the public schema. CompanyTask refuses to run unless the
connection is in the schema the task was sent for.

The broker's keys (queues, bindings, the control channels) and the results carry the deployment's key prefix
(CELERY_BROKER_TRANSPORT_OPTIONS in settings), so the demo, test runs and benchmarks sharing one Redis never
take each other's tasks."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery.signals import task_postrun, task_prerun
from tenant_schemas_celery.app import CeleryApp, get_schema_name_from_task, switch_schema
from tenant_schemas_celery.task import TenantTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")

logger = logging.getLogger("backend.celery")


def _switch_schema(task: Any, kwargs: Any = None, **kw: Any) -> None:
    """tenant-schemas-celery's switch, quiet about a company that is gone (CompanyTask drops the task)."""
    from tenants.db import connection
    from tenants.models import Tenant

    try:
        switch_schema(task, kwargs, **kw)
    except Tenant.DoesNotExist:
        connection.set_schema_to_public()


def _log_context_start(task_id: str | None = None, **kw: Any) -> None:
    """A task's log records carry its id (and, through the connection, its company's schema)."""
    from backend.observability import context

    context.task_id.set(task_id or "")


def _log_context_end(**kw: Any) -> None:
    from backend.observability import context

    context.task_id.set("")


task_prerun.connect(_log_context_start, dispatch_uid="wuye_log_context_start", weak=False)
task_postrun.connect(_log_context_end, dispatch_uid="wuye_log_context_end", weak=False)

task_prerun.disconnect(switch_schema, dispatch_uid="tenant_schemas_switch_schema")
task_prerun.connect(_switch_schema, sender=None, dispatch_uid="tenant_schemas_switch_schema", weak=False)


class CompanyTask(TenantTask):
    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from django_tenants.utils import get_public_schema_name

        from tenants.db import connection

        if self.request.called_directly:  # a plain function call: runs where the caller is
            return super().__call__(*args, **kwargs)
        wanted = get_schema_name_from_task(self, kwargs) or get_public_schema_name()
        if connection.schema_name != wanted:
            logger.warning(
                "dropped task %s[%s]: its company schema %r does not exist; not run in %r",
                self.name,
                self.request.id,
                wanted,
                connection.schema_name,
            )
            return None
        return super().__call__(*args, **kwargs)


app = CeleryApp("backend", task_cls=CompanyTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # tasks.py of every installed app


def task_named(name: str) -> Any:
    """The registered task called `name`. A service whose task calls back into it enqueues this way, so the
    imports point one way only (tasks → services) and no function-level import hides a cycle. The app's
    AppConfig.ready() imports its tasks module, so the name is known in web processes too, not only in the
    workers (which autodiscover every app's tasks.py)."""
    return app.tasks[name]

from __future__ import annotations

from django.apps import AppConfig


class ResponseCacheConfig(AppConfig):
    name = "backend.response_cache"
    label = "response_cache"
    verbose_name = "Response cache"

    def ready(self) -> None:
        from celery.signals import before_task_publish

        from tenants.postgresql_backend import base

        from . import tracking

        # Every connection of every process (web, Celery, commands) accounts for what it writes.
        if tracking.execute_wrapper not in base.STATEMENT_HOOKS:
            base.STATEMENT_HOOKS.append(tracking.execute_wrapper)
            base.COMMIT_HOOKS.append(tracking.committed)
            base.ROLLBACK_HOOKS.append(tracking.rolled_back)
        # A request that sends a task has a side effect a cached answer would skip.
        before_task_publish.connect(_task_sent, weak=False, dispatch_uid="response_cache.task_sent")


def _task_sent(**_kwargs: object) -> None:
    from . import tracking

    tracking.refuse("sent a task")

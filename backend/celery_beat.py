"""Beat: one entry per periodic job, whatever the number of companies (tenants/dispatch.py).

Each entry of settings.CELERY_BEAT_SCHEDULE sends tenants.tasks.companies_dispatch, which a worker fans out to
the active companies (a daily job at a fixed hour: to those at that hour in their own time zone)."""

from __future__ import annotations

from celery.beat import PersistentScheduler
from django.db.models import QuerySet

from tenants.models import Tenant


class CompanyScheduler(PersistentScheduler):
    """Beat entries run once per active company (via the dispatcher); never in the template, a spare or a
    suspended company."""

    @classmethod
    def get_queryset(cls) -> QuerySet[Tenant]:
        from tenants.dispatch import active_companies

        return active_companies()

    def merge_inplace(self, b: dict) -> None:
        from tenants.dispatch import dispatch_entries

        super().merge_inplace(dispatch_entries(b))

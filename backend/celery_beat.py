from __future__ import annotations

from django.db.models import QuerySet
from tenant_schemas_celery.scheduler import TenantAwarePersistentScheduler

from tenants.models import Tenant


class CompanyScheduler(TenantAwarePersistentScheduler):
    """Beat entries without `tenant_schemas` run once per active company; never in the template or a
    suspended company."""

    @classmethod
    def get_queryset(cls) -> QuerySet[Tenant]:
        return Tenant.objects.filter(status=Tenant.Status.ACTIVE)

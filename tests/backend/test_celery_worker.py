"""Celery with tenant-schemas-celery: a task enqueued while company A is active runs in A's schema, in a real
worker process (committed data, a private queue so no other worker takes it)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from backend.access.models import ApiToken
from backend.access.tasks import access_housekeeping
from backend.accounts.models import User


@pytest.mark.worker
def test_a_task_enqueued_on_company_a_runs_in_company_a_schema(worker, django_db_blocker):
    expired = timezone.now() - dt.timedelta(days=1)
    with django_db_blocker.unblock():
        user = User.objects.create_user(email=f"worker-{uuid.uuid4().hex[:6]}@example.test", password="x", name="w")
        try:
            with schema_context("alpha"):
                ApiToken.objects.create(key_hash=uuid.uuid4().hex, user=user, expires_at=expired)
            with schema_context("beta"):
                beta_token = ApiToken.objects.create(key_hash=uuid.uuid4().hex, user=user, expires_at=expired)

            with schema_context("alpha"):
                result = access_housekeeping.apply_async(queue=worker)
            assert result.get(timeout=60) == {"invitations": 0, "tokens": 1}

            with schema_context("alpha"):
                assert not ApiToken.objects.filter(user=user).exists()
            with schema_context("beta"):
                assert ApiToken.objects.filter(pk=beta_token.pk).exists()  # untouched: it ran in alpha only

            with schema_context("beta"):
                assert access_housekeeping.apply_async(queue=worker).get(timeout=60)["tokens"] == 1
                assert not ApiToken.objects.filter(user=user).exists()
        finally:
            for schema in ("alpha", "beta"):
                with schema_context(schema):
                    ApiToken.objects.filter(user=user).delete()
            connection.set_schema_to_public()
            user.delete()


def test_beat_schedules_active_companies_only(db, tenant_a, tenant_b):
    from backend.celery_beat import CompanyScheduler
    from tenants.services import company_suspend

    company_suspend(tenant=tenant_b, reason="test")
    schemas = set(CompanyScheduler.get_queryset().values_list("schema_name", flat=True))
    assert "alpha" in schemas
    assert {"beta", "tenant_template", "public"}.isdisjoint(schemas)
    assert not any(s.startswith("spare_") for s in schemas)

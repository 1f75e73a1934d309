"""Periodic work through the dispatcher, a task for a company that is gone, and brokers kept apart by prefix:
with a real worker process (tests/conftest.py `worker`)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from zoneinfo import ZoneInfo

import pytest
import redis
from celery import Celery
from celery.schedules import crontab
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from backend.access.models import ApiToken
from backend.accounts.models import User
from tenants.dispatch import DISPATCH_TASK, companies_due, dispatch_entries
from tenants.models import Tenant

HOUSEKEEPING = "backend.access.tasks.access_housekeeping"


def test_every_settings_entry_becomes_one_dispatcher_entry():
    entries = dispatch_entries(settings.CELERY_BEAT_SCHEDULE)
    assert set(entries) == set(settings.CELERY_BEAT_SCHEDULE)
    public = {name for name, e in settings.CELERY_BEAT_SCHEDULE.items() if e.get("public")}
    assert public == {"companies-delete-due", "support-access-expire"}  # the platform's own jobs, once
    assert {e["task"] for n, e in entries.items() if n not in public} == {DISPATCH_TASK}
    assert entries["companies-delete-due"]["task"] == "tenants.tasks.companies_delete_due"
    greetings = entries["greetings"]  # 08:30 daily -> hourly at :30, to the companies where it is 08:xx
    assert greetings["args"][0] == "backend.notifications.tasks.greetings_send"
    assert greetings["kwargs"] == {"local_hour": 8}
    assert greetings["schedule"] == crontab(minute=30)
    minutely = entries["club-holds-expire"]
    assert minutely["schedule"] == 60 and minutely["kwargs"] == {"local_hour": None}
    public_only = dispatch_entries({"x": {"task": "t", "schedule": 60, "public": True}})
    assert public_only == {"x": {"task": "t", "schedule": 60}}


def test_beat_holds_one_entry_per_job_whatever_the_number_of_companies(tmp_path, db):
    from backend.celery import app
    from backend.celery_beat import CompanyScheduler

    scheduler = CompanyScheduler(app=app, schedule_filename=str(tmp_path / "beat"))
    try:
        ours = {name: e for name, e in scheduler.schedule.items() if not name.startswith("celery.")}
        assert set(ours) == set(settings.CELERY_BEAT_SCHEDULE)
        public = {name for name, e in settings.CELERY_BEAT_SCHEDULE.items() if e.get("public")}
        assert {e.task for n, e in ours.items() if n not in public} == {DISPATCH_TASK}
    finally:
        scheduler.close()


def test_daily_jobs_go_to_the_companies_at_that_hour_in_their_own_zone(db, tenant_a, tenant_b):
    Tenant.objects.filter(pk=tenant_b.pk).update(time_zone="Europe/Berlin")
    eight_in_shanghai = dt.datetime(2026, 3, 2, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    due = companies_due(local_hour=8, now=eight_in_shanghai)
    assert "alpha" in due and "beta" not in due
    eight_in_berlin = dt.datetime(2026, 3, 2, 8, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    due = companies_due(local_hour=8, now=eight_in_berlin)
    assert "beta" in due and "alpha" not in due
    assert {"alpha", "beta"} <= set(companies_due())
    assert not {"public", "tenant_template"} & set(companies_due())


def _expired_tokens(user: User) -> dict[str, int]:
    expired = timezone.now() - dt.timedelta(days=1)
    pks = {}
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            pks[schema] = ApiToken.objects.create(key_hash=uuid.uuid4().hex, user=user, expires_at=expired).pk
    return pks


def _wait(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.worker
def test_the_dispatcher_runs_the_job_in_every_active_company(worker, django_db_blocker):
    from tenants.tasks import companies_dispatch

    with django_db_blocker.unblock():
        user = User.objects.create_user(email=f"dispatch-{uuid.uuid4().hex[:6]}@example.test", password="x", name="d")
        try:
            pks = _expired_tokens(user)
            connection.set_schema_to_public()
            sent = companies_dispatch.apply_async(
                args=[HOUSEKEEPING], kwargs={"options": {"queue": worker}}, queue=worker
            )
            sent.get(timeout=60)

            def gone() -> bool:
                left = 0
                for schema, pk in pks.items():
                    with schema_context(schema):
                        left += ApiToken.objects.filter(pk=pk).count()
                return left == 0

            assert _wait(gone), "housekeeping ran in alpha and in beta"
        finally:
            for schema in ("alpha", "beta"):
                with schema_context(schema):
                    ApiToken.objects.filter(user=user).delete()
            connection.set_schema_to_public()
            user.delete()


@pytest.mark.worker
def test_a_task_for_a_company_that_no_longer_exists_is_dropped_not_run_in_public(worker, django_db_blocker, tmp_path):
    from backend.celery import app

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        gone = app.send_task(HOUSEKEEPING, queue=worker, headers={"_schema_name": "company_gone_xyz"})
        # Run in public, housekeeping would fail on `relation "access_apitoken" does not exist`.
        assert gone.get(timeout=60) is None
        log = (tmp_path / "worker.log").read_text()
        assert "dropped task backend.access.tasks.access_housekeeping" in log
        assert "'company_gone_xyz' does not exist" in log
        # The worker goes on serving real companies.
        with schema_context("alpha"):
            assert app.send_task(HOUSEKEEPING, queue=worker).get(timeout=60) == {"invitations": 0, "tokens": 0}


def test_the_broker_keys_follow_the_key_prefix():
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] == f"{prefix}:celery:"
    assert settings.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS["global_keyprefix"] == f"{prefix}:celery:"


@pytest.mark.worker
def test_a_worker_never_takes_the_tasks_of_another_prefix(worker, django_db_blocker):
    from backend.celery import app

    other = Celery("other", broker=settings.CELERY_BROKER_URL)
    other.conf.broker_transport_options = {"global_keyprefix": "someone-else:celery:"}
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        stray = other.send_task(HOUSEKEEPING, queue=worker, headers={"_schema_name": "alpha"})
        with django_db_blocker.unblock(), schema_context("alpha"):
            # A task of our prefix, sent after the stray one, is taken and done...
            assert app.send_task(HOUSEKEEPING, queue=worker).get(timeout=60)["tokens"] == 0
        # ...while the other prefix's task still waits in its own queue, untouched by our worker.
        assert client.llen(f"someone-else:celery:{worker}") == 1
        assert stray.id
    finally:
        client.delete(f"someone-else:celery:{worker}")
        other.close()

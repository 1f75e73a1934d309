"""Periodic work for every company: one beat entry per job, one dispatcher task that fans out.

tenant-schemas-celery's scheduler sends every due entry once per company from inside beat: with 1,000
companies, each every-minute entry is 1,000 messages and a query, sent one by one by the single beat process
before it can look at the next entry. Here beat sends one message per due entry (`tenants.tasks.
companies_dispatch`), and a worker sends the per-company tasks, all over one broker connection. Daily entries
at a fixed hour run hourly instead and go only to the companies whose own time zone is at that hour.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery.schedules import crontab
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from backend.celery import app

from .db import connection
from .models import Tenant

logger = logging.getLogger(__name__)

DISPATCH_TASK = "tenants.tasks.companies_dispatch"


def active_companies() -> QuerySet[Tenant]:
    """Periodic work runs in active companies only: never the template, a spare or a suspended company."""
    return Tenant.objects.filter(status=Tenant.Status.ACTIVE)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except ZoneInfoNotFoundError:
        return ZoneInfo(settings.TIME_ZONE)


def companies_due(*, local_hour: int | None = None, now: dt.datetime | None = None) -> list[str]:
    """The schemas of the active companies, or of those whose local time is at `local_hour` now."""
    rows = list(active_companies().order_by("schema_name").values_list("schema_name", "time_zone"))
    if local_hour is None:
        return [schema for schema, _zone_name in rows]
    now = now or timezone.now()
    hour_in: dict[str, int] = {}
    due = []
    for schema, zone_name in rows:
        if zone_name not in hour_in:
            hour_in[zone_name] = now.astimezone(_zone(zone_name)).hour
        if hour_in[zone_name] == local_hour:
            due.append(schema)
    return due


def companies_fan_out(
    task_name: str,
    *,
    args: list | None = None,
    kwargs: dict | None = None,
    options: dict | None = None,
    local_hour: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    schemas = companies_due(local_hour=local_hour, now=now)
    options = dict(options or {})
    headers = dict(options.pop("headers", None) or {})
    sent = 0
    with app.producer_or_acquire() as producer:
        for schema in schemas:
            try:
                app.send_task(
                    task_name,
                    args=args or [],
                    kwargs=kwargs or {},
                    headers={**headers, "_schema_name": schema},
                    producer=producer,
                    **options,
                )
            except Exception:
                logger.exception("could not send %s to company schema %s", task_name, schema)
            else:
                sent += 1
    connection.set_schema_to_public()
    logger.info("dispatched %s to %d companies", task_name, sent)
    return sent


def _daily_at_one_hour(schedule: Any) -> int | None:
    """The hour of a crontab that fires once a day at one hour, every day; else None."""
    if not isinstance(schedule, crontab):
        return None
    if len(schedule.hour) != 1 or len(schedule.day_of_week) != 7 or len(schedule.day_of_month) != 31:
        return None
    if len(schedule.month_of_year) != 12:
        return None
    return next(iter(schedule.hour))


def dispatch_entries(beat_schedule: dict[str, dict]) -> dict[str, dict]:
    """Settings' CELERY_BEAT_SCHEDULE (one entry per job, run in every active company) as beat's entries:
    each sends the dispatcher. An entry with `"public": True` runs once, in the public schema, as written."""
    result: dict[str, dict] = {}
    for name, entry in beat_schedule.items():
        entry = dict(entry)
        if entry.pop("public", False):
            result[name] = entry
            continue
        schedule = entry["schedule"]
        local_hour = _daily_at_one_hour(schedule)
        if local_hour is not None:
            schedule = crontab(minute=schedule._orig_minute)
        options = dict(entry.get("options") or {})
        result[name] = {
            "task": DISPATCH_TASK,
            "schedule": schedule,
            "args": [entry["task"], list(entry.get("args") or []), dict(entry.get("kwargs") or {}), options],
            "kwargs": {"local_hour": local_hour},
            "options": {"headers": {"_schema_name": "public"}},
        }
    return result

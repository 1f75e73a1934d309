"""`beat-1000`: what periodic work costs beat and the workers with the migrate-1000 companies present.

- value: beat (backend.celery_beat.CompanyScheduler) applying one minute's due entries (those scheduled every
  60 s): one dispatcher message per entry;
- baseline: tenant-schemas-celery's TenantAwarePersistentScheduler (what beat ran before) applying the same
  entries: a query and one message per active company per entry, all sent from the beat process;
- `dispatcher-fanout-1000`: the worker's side, one dispatcher task (tenants.dispatch.companies_fan_out)
  sending one job to every active company; baseline: the old beat sending that one entry.
Messages go to a queue of their own that is deleted afterwards; no task runs."""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path

_results: dict[str, float] = {}


def _measure() -> dict[str, float]:
    if _results:
        return _results
    import redis
    from django.conf import settings
    from tenant_schemas_celery.scheduler import TenantAwarePersistentScheduler

    from backend.celery import app
    from backend.celery_beat import CompanyScheduler
    from infra.bench.migrate_1000 import companies_ensure
    from tenants.db import connection
    from tenants.dispatch import active_companies, companies_fan_out

    class OldScheduler(TenantAwarePersistentScheduler):
        @classmethod
        def get_queryset(cls):  # type: ignore[no-untyped-def]
            return active_companies()

        def merge_inplace(self, b):  # type: ignore[no-untyped-def]
            # "public" (run once in the public schema) is CompanyScheduler's; the old scheduler's entries refuse it.
            return super().merge_inplace({k: {f: v for f, v in e.items() if f != "public"} for k, e in b.items()})

    companies_ensure()
    connection.set_schema_to_public()
    companies = active_companies().count()
    queue = f"bench-beat-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    key = f"{settings.CELERY_KEY_PREFIX}{queue}"
    minutely = [name for name, entry in settings.CELERY_BEAT_SCHEDULE.items() if entry["schedule"] == 60]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            new = CompanyScheduler(app=app, schedule_filename=str(Path(tmp) / "new"))
            old = OldScheduler(app=app, schedule_filename=str(Path(tmp) / "old"))
            try:
                timings = {}
                for label, scheduler, names in (
                    ("new", new, minutely),
                    ("old", old, [f"{n}@__all_tenants_only__" for n in minutely]),
                ):
                    entries = [scheduler.schedule[n] for n in names]
                    for entry in entries:
                        entry.options["queue"] = queue
                    before = client.llen(key)
                    with app.producer_or_acquire() as producer:
                        started = time.perf_counter()
                        for entry in entries:
                            scheduler.apply_entry(entry, producer=producer)
                        timings[label] = time.perf_counter() - started
                    timings[f"{label}_messages"] = client.llen(key) - before
                    connection.set_schema_to_public()
                # One job, 1,000 companies: the old beat's single entry vs. the dispatcher on a worker.
                entry = old.schedule[f"{minutely[0]}@__all_tenants_only__"]
                with app.producer_or_acquire() as producer:
                    started = time.perf_counter()
                    old.apply_entry(entry, producer=producer)
                    timings["old_one"] = time.perf_counter() - started
                connection.set_schema_to_public()
                task = settings.CELERY_BEAT_SCHEDULE[minutely[0]]["task"]
                started = time.perf_counter()
                sent = companies_fan_out(task, options={"queue": queue})
                timings["fanout"] = time.perf_counter() - started
                timings["fanout_sent"] = sent
                timings["entries_new"] = len(new.schedule)
                timings["entries_old"] = len(old.schedule)
            finally:
                new.close()
                old.close()
    finally:
        client.delete(key)
        connection.set_schema_to_public()
    timings["companies"] = companies
    timings["minutely"] = len(minutely)
    print(
        f"  beat-1000: {companies} active companies; beat schedule {int(timings['entries_new'])} entries "
        f"(before: {int(timings['entries_old'])}); one minute's {len(minutely)} entries sent "
        f"{int(timings['new_messages'])} messages from beat (before: {int(timings['old_messages'])})",
        file=sys.stderr,
    )
    _results.update(timings)
    return _results


def run() -> str:
    r = _measure()
    return (
        f"bench beat-1000: {r['new']:.4f} s of beat per minute ({int(r['new_messages'])} messages); "
        f"baseline {r['old']:.2f} s ({int(r['old_messages'])} messages, per-company sends in beat); "
        f"ratio {r['old'] / r['new']:.0f}x"
    )


def run_fanout() -> str:
    r = _measure()
    return (
        f"bench dispatcher-fanout-1000: {r['fanout']:.2f} s on a worker for one job to "
        f"{int(r['fanout_sent'])} companies; baseline {r['old_one']:.2f} s (the same sends from beat); "
        f"ratio {r['old_one'] / r['fanout']:.1f}x"
    )

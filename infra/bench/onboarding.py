"""Onboarding a company (company_onboard, the service behind the sign-up page) three ways in one run:

- `onboarding`: what a signing-up company waits for: a spare clone of the template renamed (the pool is
  refilled between runs, as the Celery task does after each sign-up), vs. the migrations baseline;
- `onboarding-clone`: with the pool empty, clone_schema() on the spot, vs. the same baseline;
- `onboarding-schema-step`: only the step that differs (claim + rename a spare), vs. building the schema by
  migrations; the rest of onboarding (validation, an Argon2id hash of ~45 ms, five inserts) is common to both;
- baseline: CREATE SCHEMA + migrate_schemas for the new schema, everything else identical.
Medians of several runs; every company made here is dropped afterwards."""

from __future__ import annotations

import statistics
import uuid

from django.core.management import call_command

from tenants.db import connection

CLONE_RUNS = 7
MIGRATE_RUNS = 3


def _schema_by_migrations(*, source: str, target: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{target}"')
    call_command("migrate_schemas", tenant=True, schema_name=target, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def _onboard_once(tag: str) -> tuple[float, str]:
    from tenants.services import company_onboard

    suffix = uuid.uuid4().hex[:8]
    result = company_onboard(
        company_name=f"基准物业{suffix}",
        subdomain=f"bench-{tag}-{suffix}",
        admin_name="基准",
        admin_email=f"bench-{suffix}@bench.test",
        admin_phone=f"166{int(suffix, 16) % 10**8:08d}",
        admin_password="Bench-run-2026",
    )
    return result.seconds, result.tenant.slug


def _cleanup(slugs: list[str]) -> None:
    from backend.accounts.deletion import users_delete
    from backend.accounts.models import Membership
    from tenants.models import Tenant

    connection.set_schema_to_public()
    user_ids: list[int] = []
    for tenant in Tenant.objects.filter(slug__in=slugs):
        user_ids += Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True)
        tenant.delete(force_drop=True)
    users_delete(user_ids=user_ids)  # one search of the other companies for all of them


_results: dict[str, float] = {}


def _measure() -> dict[str, float]:
    if _results:
        return _results
    from django.conf import settings

    import tenants.services as services
    from tenants.spares import spare_schemas_fill

    created: list[str] = []
    try:
        spare_schemas_fill(target=1)
        created.append(_onboard_once("warm")[1])  # installs clone_schema(), warms caches; not counted
        spare_times, clone_times = [], []
        for _ in range(CLONE_RUNS):
            spare_schemas_fill(target=1)
            seconds, slug = _onboard_once("spare")
            spare_times.append(seconds)
            created.append(slug)
        _drop_spares()
        for _ in range(CLONE_RUNS):
            seconds, slug = _onboard_once("clone")
            clone_times.append(seconds)
            created.append(slug)
        original = services.schema_clone
        services.schema_clone = _schema_by_migrations  # type: ignore[assignment]
        try:
            migrate_times = []
            for _ in range(MIGRATE_RUNS):
                seconds, slug = _onboard_once("migrate")
                migrate_times.append(seconds)
                created.append(slug)
        finally:
            services.schema_clone = original
    finally:
        _cleanup([*created, *_all_bench_slugs()])
        spare_schemas_fill(target=settings.TENANT_SPARE_SCHEMAS)
    _results.update(
        spare=statistics.median(spare_times),
        clone=statistics.median(clone_times),
        migrate=statistics.median(migrate_times),
        **_schema_step_medians(),
    )
    return _results


def _schema_step_medians() -> dict[str, float]:
    """The schema step alone (claim + rename a spare vs. CREATE SCHEMA + migrations), rolled back each time."""
    import time

    from django.db import transaction

    from tenants.spares import schema_rename, spare_claim, spare_schemas_fill

    spare_schemas_fill(target=1)
    renames, migrations = [], []
    for i in range(CLONE_RUNS):
        with transaction.atomic():
            started = time.perf_counter()
            spare = spare_claim()
            assert spare is not None
            schema_rename(old=spare.schema_name, new=f"bench_step_{i}")
            renames.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    for i in range(MIGRATE_RUNS):
        with transaction.atomic():
            started = time.perf_counter()
            _schema_by_migrations(source="", target=f"bench_step_m{i}")
            migrations.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    return {"step_rename": statistics.median(renames), "step_migrate": statistics.median(migrations)}


def _line(name: str, value: float, baseline: float) -> str:
    return f"bench {name}: {value:.4f} s; baseline {baseline:.4f} s; ratio {baseline / value:.1f}x"


def run() -> str:
    r = _measure()
    return _line("onboarding", r["spare"], r["migrate"])


def run_schema_step() -> str:
    r = _measure()
    return _line("onboarding-schema-step", r["step_rename"], r["step_migrate"])


def run_clone() -> str:
    r = _measure()
    return _line("onboarding-clone", r["clone"], r["migrate"])


def _drop_spares() -> None:
    from tenants.models import Tenant

    for spare in Tenant.objects.filter(status=Tenant.Status.SPARE):
        spare.delete(force_drop=True)


def _all_bench_slugs() -> list[str]:
    from tenants.models import Tenant

    # Onboarding's own leftovers (bench-warm-…, bench-spare-…); never migrate-1000's companies (bench-m-…).
    bench = Tenant.objects.filter(slug__startswith="bench-").exclude(slug__startswith="bench-m-")
    return list(bench.values_list("slug", flat=True))

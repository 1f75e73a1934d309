"""`migrate-1000`: migrate_schemas over 1,000 company schemas in the benchmark database.

- the companies: 1,000 Tenant rows `bench-m-0000`…`bench-m-0999`, each a copy of the template, made once and
  reused by later runs (only what is missing is made, progress on stderr);
- value: the operators' path, `manage.py migrate_companies` (tenants/migrate.py): one query per 200 schemas
  finds the schemas whose django_migrations lack a migration on disk, and only those are migrated;
- baseline: django-tenants' `migrate_schemas --tenant`, sequential, over the same schemas, in the same run
  (about 12 minutes for 1,000 here; BENCH_MIGRATE_BASELINE_SAMPLE=100 times `--schema` on 100 of them and
  scales, and says so in the line);
- BENCH_MIGRATE_COMPANIES: how many companies (default 1,000);
- `migrate-1000-new`: one new, trivial migration (written to a temporary module for the run, then removed with
  its rows) applied to all 1,000 by the fast path.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import time
from pathlib import Path

from tenants.db import connection

COMPANIES = int(os.environ.get("BENCH_MIGRATE_COMPANIES", "1000"))
PREFIX = "bench_m_"


def _schema(i: int) -> str:
    return f"{PREFIX}{i:04d}"


def _psql(sql: str) -> None:
    import os
    import subprocess

    from django.conf import settings

    db = settings.DATABASES["default"]
    env = dict(os.environ, PGPASSWORD=db.get("PASSWORD") or "")
    subprocess.run(
        ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", db.get("HOST") or "127.0.0.1"]
        + ["-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres", "-d", db["NAME"]],
        input=sql.encode(),
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _template_dump() -> str:
    import os
    import subprocess

    from django.conf import settings

    db = settings.DATABASES["default"]
    env = dict(os.environ, PGPASSWORD=db.get("PASSWORD") or "")
    return subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", "-n", settings.TENANT_BASE_SCHEMA]
        + ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres"]
        + [db["NAME"]],
        env=env,
        check=True,
        capture_output=True,
    ).stdout.decode()


JOBS = int(os.environ.get("BENCH_MIGRATE_JOBS", "3"))
OBJECTS_PER_TRANSACTION = 80
_HEADER = re.compile(r"\n(?=--\n-- (?:Data for )?Name: )")


def _copy_sql(dump: str, template: str, name: str) -> str:
    """The template's dump as `name`, `OBJECTS_PER_TRANSACTION` objects (tables, indexes, constraints, …) per
    transaction: one schema in one transaction holds about 2,450 locks (one per table, index, sequence, …), a
    third of this server's lock table, which other sessions share."""
    pattern = re.compile(rf"\b{re.escape(template)}\b")
    parts = _HEADER.split(pattern.sub(name, dump))
    preamble, objects = parts[0], parts[1:]
    chunks = [
        "BEGIN;\n" + "\n".join(objects[i : i + OBJECTS_PER_TRANSACTION]) + "\nCOMMIT;\n"
        for i in range(0, len(objects), OBJECTS_PER_TRANSACTION)
    ]
    return preamble + "".join(chunks)


def _complete(template: str, schemas: list[str]) -> set[str]:
    """Of `schemas`, those holding as many relations and constraints as the template (a copy cut short is not)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH n AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = %s OR nspname = ANY(%s)),
                 r AS (SELECT relnamespace AS ns, count(*) AS k FROM pg_class
                       WHERE relnamespace IN (SELECT oid FROM n) GROUP BY 1),
                 k AS (SELECT connamespace AS ns, count(*) AS k FROM pg_constraint
                       WHERE connamespace IN (SELECT oid FROM n) GROUP BY 1)
            SELECT n.nspname, coalesce(r.k, 0), coalesce(k.k, 0)
            FROM n LEFT JOIN r ON r.ns = n.oid LEFT JOIN k ON k.ns = n.oid
            """,
            [template, schemas],
        )
        counts = {name: (relations, constraints) for name, relations, constraints in cursor.fetchall()}
    return {name for name in schemas if name in counts and counts[name] == counts.get(template)}


def companies_ensure(count: int = COMPANIES, batch: int = 10) -> list[str]:
    """The benchmark's companies, made where missing: a Tenant row and a copy of the template each.

    A copy is the template's pg_dump with the schema renamed, loaded by `psql`, `batch` schemas per session and
    BENCH_MIGRATE_JOBS (3) sessions at once (synchronous_commit off). Most of a copy's time is PostgreSQL
    syncing each new index to disk (531 of them), so sessions side by side overlap that waiting. A copy left
    incomplete by an interrupted run is dropped and made again. Gives the same tables, rows (django_migrations
    included) and functions as clone_schema()."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from django.conf import settings

    from tenants.models import Tenant

    template = settings.TENANT_BASE_SCHEMA
    connection.set_schema_to_public()
    wanted = [_schema(i) for i in range(count)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [PREFIX + "%"])
        schemas = {row[0] for row in cursor.fetchall()}
    made = _complete(template, sorted(schemas & set(wanted)))
    for partial in sorted((schemas & set(wanted)) - made):
        print(f"  migrate-1000: {partial} is incomplete, made again", file=sys.stderr)
        _psql(f'DROP SCHEMA "{partial}" CASCADE;')
    missing_schemas = [s for s in wanted if s not in made]
    if missing_schemas:
        dump = _template_dump()
        started = time.perf_counter()
        batches = [missing_schemas[i : i + batch] for i in range(0, len(missing_schemas), batch)]
        done = 0

        def load(names: list[str]) -> int:
            _psql("SET synchronous_commit = off;\n" + "".join(_copy_sql(dump, template, n) for n in names))
            return len(names)

        with ThreadPoolExecutor(max_workers=JOBS) as pool:
            for future in as_completed([pool.submit(load, names) for names in batches]):
                done += future.result()
                rate = done / (time.perf_counter() - started)
                print(
                    f"  migrate-1000: made {done}/{len(missing_schemas)} company schemas ({rate:.1f}/s)",
                    file=sys.stderr,
                    flush=True,
                )
    have = set(Tenant.objects.filter(schema_name__in=wanted).values_list("schema_name", flat=True))
    Tenant.objects.bulk_create(
        [
            Tenant(schema_name=name, slug=name.replace("_", "-"), name=f"基准物业{name[-4:]}")
            for name in wanted
            if name not in have
        ]
    )
    return wanted


_results: dict[str, float] = {}


def _new_migration() -> tuple[Path, str, str]:
    """A trivial migration after the current leaf of backend.audit, in its migrations package."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    app_label = "audit"
    leaf = loader.graph.leaf_nodes(app_label)[0][1]
    package = importlib.import_module(str(loader.migrations_module(app_label)[0]))
    name = "9999_bench_migrate_1000"
    path = Path(package.__path__[0]) / f"{name}.py"
    path.write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [({app_label!r}, {leaf!r})]\n"
        "    operations = [migrations.RunSQL('SELECT 1', reverse_sql=migrations.RunSQL.noop)]\n"
    )
    importlib.invalidate_caches()
    return path, app_label, name


def _measure() -> dict[str, float]:
    if _results:
        return _results
    from django.core.management import call_command

    from tenants.migrate import companies_migrate

    schemas = companies_ensure()
    companies_migrate(verbosity=0)  # whatever is behind catches up first; not counted
    started = time.perf_counter()
    result = companies_migrate(verbosity=0)
    fast = time.perf_counter() - started
    assert not result.migrated and not result.failed, result
    print(f"  migrate-1000: fast path {fast:.2f} s, {len(result.skipped)} schemas skipped", file=sys.stderr)

    path, app_label, name = _new_migration()
    try:
        started = time.perf_counter()
        result = companies_migrate(verbosity=0)
        new = time.perf_counter() - started
        assert not result.failed, result.failed
        assert set(schemas) <= set(result.migrated), "every benchmark company got the new migration"
        print(f"  migrate-1000: new migration to {len(result.migrated)} schemas in {new:.2f} s", file=sys.stderr)
    finally:
        path.unlink()
        importlib.invalidate_caches()
        sys.modules.pop(f"backend.audit.migrations.{name}", None)
        from tenants.migrate import migration_rows_delete

        migration_rows_delete(app_label=app_label, name=name)

    total = len(result.migrated)  # every tenant schema (the benchmark's, the template, spares, others)
    sample = int(os.environ.get("BENCH_MIGRATE_BASELINE_SAMPLE", "0"))
    print("  migrate-1000: baseline, migrate_schemas --tenant (sequential)…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    if sample and sample < total:
        # A shorter run: `migrate_schemas --tenant --schema` over `sample` schemas, scaled to all of them.
        for name in schemas[:sample]:
            call_command("migrate_schemas", tenant=True, schema_name=name, interactive=False, verbosity=0)
        baseline = (time.perf_counter() - started) * total / sample
    else:
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
        baseline = time.perf_counter() - started
    connection.set_schema_to_public()
    _results.update(
        fast=fast, baseline=baseline, new=new, count=float(total), sample=float(sample if sample < total else 0)
    )
    return _results


def run() -> str:
    r = _measure()
    value, baseline = r["fast"], r["baseline"]
    how = f"measured on {int(r['sample'])}, scaled" if r["sample"] else "measured"
    return (
        f"bench migrate-1000: {value:.2f} s; baseline {baseline:.2f} s; ratio {baseline / value:.1f}x "
        f"(no-op over {int(r['count'])} tenant schemas; baseline: migrate_schemas --tenant, sequential, {how})"
    )


def run_new() -> str:
    r = _measure()
    return (
        f"bench migrate-1000-new: {r['new']:.2f} s for one new migration on {int(r['count'])} schemas; "
        f"baseline {r['baseline']:.2f} s (a no-op migrate_schemas); ratio {r['baseline'] / r['new']:.1f}x"
    )


if __name__ == "__main__":  # `python -m infra.bench.migrate_1000`: only make the companies
    from infra.bench.__main__ import _setup_django

    _setup_django()
    companies_ensure()

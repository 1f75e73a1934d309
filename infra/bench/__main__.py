from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

# name -> (module, function); both onboarding lines come from one measurement.
BENCHMARKS: dict[str, tuple[str, str]] = {
    "onboarding": ("infra.bench.onboarding", "run"),
    "onboarding-clone": ("infra.bench.onboarding", "run_clone"),
    "onboarding-schema-step": ("infra.bench.onboarding", "run_schema_step"),
    "unit-generation-10k": ("infra.bench.registry", "run_generation"),
    "unit-search-p95": ("infra.bench.registry", "run_search"),
    "ws-delivery-p95": ("infra.bench.ws", "run_p95"),
    "ws-delivered": ("infra.bench.ws", "run_delivered"),
    "bill-run-100k": ("infra.bench.billing", "run"),
    "http-single": ("infra.bench.http", "run_single"),
    "http-me-median": ("infra.bench.http", "run_me_median"),
    "http-pages-median": ("infra.bench.http", "run_pages_median"),
    "http-p95": ("infra.bench.http", "run_p95"),
    "http-errors": ("infra.bench.http", "run_errors"),
    "http-throughput": ("infra.bench.http", "run_throughput"),
    "http-throughput-uncached": ("infra.bench.http", "run_throughput_uncached"),
    "http-throughput-writes": ("infra.bench.http", "run_throughput_writes"),
    "http-1000": ("infra.bench.http", "run_1000"),
    "availability-p95": ("infra.bench.club", "run_availability"),
    # Two lines: the last place, then one home's quota.
    "booking-race": ("infra.bench.club", "run_race"),
    # Two lines: the last 5 items (100 checkouts), then a service slot of 2 places (50 checkouts).
    "stock-race": ("infra.bench.shop_orders", "run"),
    "ticket-queue-p95": ("infra.bench.desk", "run"),
    "page-cpu": ("infra.bench.profile_pages", "run"),
    # Two lines: the PostgreSQL backend, then the Elasticsearch one (noida-db, bounded, unless
    # BENCH_ELASTICSEARCH_URL names a real one).
    "listing-search-p95": ("infra.bench.listing_search", "run"),
    # Two lines from one measurement: a no-op over 1,000 companies, then one new migration applied to them.
    "migrate-1000": ("infra.bench.migrate_1000", "run"),
    "migrate-1000-new": ("infra.bench.migrate_1000", "run_new"),
    # Two lines: beat's load per minute, then the dispatcher's fan-out on a worker.
    "beat-1000": ("infra.bench.beat_1000", "run"),
    "dispatcher-fanout-1000": ("infra.bench.beat_1000", "run_fanout"),
}


def _setup_django() -> None:
    import environ

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Keys of their own in a shared Redis: the demo's worker never takes a benchmark's tasks (nor the reverse).
    os.environ.setdefault("CACHE_KEY_PREFIX", "wuye-bench")
    os.environ.setdefault("CHANNEL_LAYER_PREFIX", "asgi-bench")
    base = environ.Env().db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/wuye")
    name = os.environ.get("BENCH_DATABASE_NAME", "wuye_bench")
    _ensure_database(base, name)
    user = base.get("USER") or "postgres"
    password = f":{base['PASSWORD']}" if base.get("PASSWORD") else ""
    os.environ["DATABASE_URL"] = (
        f"postgres://{user}{password}@{base.get('HOST') or '127.0.0.1'}:{base.get('PORT') or 5432}/{name}"
    )
    import django

    django.setup()
    from tenants.services import platform_setup

    platform_setup(verbosity=0)


def _ensure_database(settings: dict, name: str) -> None:
    import psycopg

    conn = psycopg.connect(
        host=settings.get("HOST") or "127.0.0.1",
        port=settings.get("PORT") or 5432,
        user=settings.get("USER") or "postgres",
        password=settings.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    with conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str]) -> int:
    wanted = argv[1:] or list(BENCHMARKS)
    unknown = [w for w in wanted if w not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    _setup_django()
    import importlib

    for name in wanted:
        module, function = BENCHMARKS[name]
        run: Callable[[], str] = getattr(importlib.import_module(module), function)
        started = time.perf_counter()
        line = run()
        print(line, flush=True)
        print(f"  ({name} took {time.perf_counter() - started:.1f}s in all)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

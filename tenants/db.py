"""The default connection as django-tenants' wrapper (set_tenant, schema_name, tenant), for type checkers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection as _connection

connection: Any = cast(Any, _connection)


def quote_ident(name: str) -> str:
    """A schema, table or column name quoted for SQL built from it (PostgreSQL's quote_ident)."""
    return '"' + name.replace('"', '""') + '"'


def app_labels(app_names: Iterable[str]) -> set[str]:
    """The labels of the installed apps among `app_names` (dotted names, as in SHARED_APPS / TENANT_APPS)."""
    from django.apps import apps

    names = set(app_names)
    return {config.label for config in apps.get_app_configs() if config.name in names}


def company_time_zone(tenant: Any = None) -> ZoneInfo:
    """The company's time zone: `tenant`'s, else the current connection's tenant's; the platform's
    TIME_ZONE for the public schema or a zone name Python does not know."""
    from django.conf import settings

    company = tenant if tenant is not None else getattr(connection, "tenant", None)
    name = getattr(company, "time_zone", None) or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return ZoneInfo(settings.TIME_ZONE)


def schema_analyze(schema_name: str, *, vacuum: bool = True) -> str:
    """Statistics for every table of one schema (after a bulk load), not the whole database.

    Outside a transaction, VACUUM (ANALYZE): besides the planner's statistics, VACUUM fills the tables'
    visibility maps, without which PostgreSQL cannot answer from an index alone (the open bill lines' partial
    index, billing migration 0003) and reads the heap for every row. VACUUM cannot run in a transaction
    block, so inside one (a test, an atomic onboarding step) it is ANALYZE only. Returns which ran
    ("VACUUM (ANALYZE)" or "ANALYZE")."""
    from django.db import transaction

    in_transaction = transaction.get_connection().in_atomic_block
    command = "VACUUM (ANALYZE)" if vacuum and not in_transaction else "ANALYZE"
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema_name])
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            cursor.execute(f'{command} "{schema_name}"."{table}"')
    return command

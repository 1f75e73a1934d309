"""Create a company schema by copying the template schema inside the caller's transaction.

django-tenants ships the `clone_schema` PL/pgSQL function (tables, sequences, constraints, indexes and
rows). Its own create_schema() also reinstalls that 4,000-line function every time and then runs a
fake `migrate_schemas`; the copied django_migrations rows already record every migration, so both are
skipped here. Because PostgreSQL DDL is transactional, a failed onboarding rolls the schema back too.
"""

from __future__ import annotations

from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from tenants.db import connection


def _clone_function_installed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.proname = 'clone_schema' AND n.nspname = 'public'"
        )
        return cursor.fetchone() is not None


def schema_clone(*, source: str, target: str) -> None:
    if not schema_exists(source):
        raise RuntimeError(f"template schema {source!r} is missing: run `manage.py platform_setup`")
    connection.set_schema_to_public()
    cloner = CloneSchema()
    if not _clone_function_installed():
        cloner._create_clone_schema_function()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clone_schema(%s, %s, 'DATA')", [source, target])

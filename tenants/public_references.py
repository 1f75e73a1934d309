"""Company schemas hold no database foreign keys to public-schema tables; the application keeps those references.

Why: a foreign key from a company's table to a public table puts two triggers on the public table. The company
schema has 87 columns pointing at public.accounts_user, so 1,000 companies put 174,000 triggers on that one table:

- every new connection's first read of accounts_user loaded them all (78 ms at 24,000 triggers, growing with the
  number of companies), and so did every connection again after each new company (a relcache invalidation);
- making a company schema (a spare clone, a restore, the benchmark's copies) rebuilt that list for every one of
  its 87 foreign keys, so each new company cost more than the last (0.5 a second at 80 companies, 0.3 at 120);
- deleting a person checked, and locked, every company's 87 tables in one transaction: `out of shared memory`
  (max_locks_per_transaction) at about 480 companies.

So, in a company schema (never in public), every foreign key to a public table is dropped after each migrate
(a post_migrate receiver, tenants/apps.py) and once for schemas made before (company migration 0003). Clones of
the template copy its tables, so they have none either. The columns, their indexes and the models are unchanged;
Django's on_delete still runs in Python. The one delete of a referenced public row the platform does, a person's
account, goes through backend/accounts/deletion.py `users_delete`, which searches every company schema, one at
a time, and refuses (or, asked to, keeps) any account a company row still names."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from .db import quote_ident


def _model_tables() -> list[str]:
    from django.apps import apps

    return sorted({model._meta.db_table for model in apps.get_models(include_auto_created=True)})


def public_foreign_keys_in(connection: BaseDatabaseWrapper, schema: str) -> list[tuple[str, str, str]]:
    """(table, constraint, referenced public table) for every foreign key from a model's table in `schema` to the
    public schema. The tables are looked up by name (pg_class's index): with 1,000 schemas the catalog holds
    ~750,000 relations and ~585,000 constraints, and a scan of them took 0.3 s a schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, c.conname, p.relname
            FROM pg_class t
            JOIN pg_constraint c ON c.conrelid = t.oid AND c.contype = 'f'
            JOIN pg_class p ON p.oid = c.confrelid
            WHERE t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) AND t.relname = ANY(%s)
              AND p.relnamespace = 'public'::regnamespace
            ORDER BY t.relname, c.conname
            """,
            [schema, _model_tables()],
        )
        return [(table, name, target) for table, name, target in cursor.fetchall()]


def public_foreign_keys_drop(connection: BaseDatabaseWrapper, schema: str) -> int:
    """Drop every foreign key from the company schema `schema` to a public table; how many were dropped."""
    if schema == "public":
        return 0
    found = public_foreign_keys_in(connection, schema)
    with connection.cursor() as cursor:
        for table, name, _target in found:
            where = f"{quote_ident(schema)}.{quote_ident(table)}"
            cursor.execute(f"ALTER TABLE {where} DROP CONSTRAINT {quote_ident(name)}")
    return len(found)

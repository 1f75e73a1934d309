"""Deleting people's accounts with any number of companies present: `users_delete(user_ids=[…])`.

A person's account lives in the public schema, and every company schema may hold rows naming them (87 columns:
tickets, notifications, ledger entries' authors, …). Every such link is DO_NOTHING in Python (Django's collector
cannot see other schemas): a person who left records in any company is deactivated, never deleted. The database
used to enforce that with a foreign key from each of those columns in every company schema; with 1,000
companies those constraints made deleting one account lock every company's tables in one transaction (`out of
shared memory`) and made every new company schema slower than the last, so company schemas no longer carry
them (tenants/public_references.py). This service is what enforces it now:

1. every company schema is searched for rows naming the people, one schema per statement (each statement its
   own transaction, or a savepoint rolled back inside one, so the tables of one schema at most are locked);
2. people named anywhere are refused (UsersReferenced, saying where), or with `skip_referenced` kept while the
   others are deleted;
3. in one transaction: the accounts locked (FOR UPDATE), every schema searched again the same way (a row made
   in the meantime refuses or keeps its person), and the accounts deleted with Django's collector in the public
   schema (memberships, consents, sign-in tickets, … cascade; the company links are DO_NOTHING, so it never
   looks into a company schema). That transaction locks the public tables and, at any moment, one schema's.

Use it instead of `User.delete()`, which checks no company schema now. The platform admin cannot delete
accounts; privacy erasure anonymises them and never deletes. Left open: a row naming the person committed after
the second search and before the delete commits is not refused (the database constraint used to refuse it);
the accounts deleted are ones without any record in any company, so nothing should be writing such a row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from backend.errors import ApplicationError
from tenants.db import app_labels, connection, quote_ident

from .models import User


class UsersReferenced(ApplicationError):
    """Rows in a company schema still name these people."""

    def __init__(self, referenced: dict[int, list[str]]) -> None:
        self.referenced = referenced
        places = sorted({where for found in referenced.values() for where in found})
        super().__init__(f"{len(referenced)} account(s) are named in company schemas: {', '.join(places[:10])}")


@dataclass
class UsersDeleted:
    deleted: list[int] = field(default_factory=list)
    kept: dict[int, list[str]] = field(default_factory=dict)  # user id -> schema.table.column naming them


def company_user_columns() -> list[tuple[type[models.Model], models.ForeignKey]]:  # type: ignore[type-arg]
    """(model, foreign key to User) for every model of a company schema (auto-created many-to-many included)."""
    tenant = app_labels(settings.TENANT_APPS)
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in tenant or model._meta.proxy:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.ForeignKey) and f.related_model is User:
                found.append((model, f))
    return sorted(found, key=lambda pair: (pair[0]._meta.db_table, pair[1].column))


def company_schemas() -> list[str]:
    """Every company schema (Tenant rows but public: companies, the template, spares)."""
    from tenants.migrate import tenant_schemas

    return tenant_schemas()


@contextmanager
def _locks_released() -> Iterator[None]:
    """Inside a transaction, a savepoint rolled back afterwards, which releases the locks taken within it
    (PostgreSQL otherwise keeps them to the end of the transaction). Outside one, each statement commits."""
    if not connection.in_atomic_block:
        yield
        return
    sid = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(sid)


def users_referenced(
    user_ids: list[int], *, schemas: Iterable[str] | None = None, on_schema: Callable[[str], None] | None = None
) -> dict[int, list[str]]:
    """{user id: [schema.table.column, …]} for every company-schema row naming one of `user_ids`.

    One statement per schema; `on_schema(schema)` runs right after each (tests inspect the locks there)."""
    columns = [(m._meta.db_table, str(f.column)) for m, f in company_user_columns()]
    schemas = company_schemas() if schemas is None else list(schemas)
    found: dict[int, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)",
            [schemas],
        )
        tables: dict[str, set[str]] = {}
        for schema, table in cursor.fetchall():
            tables.setdefault(schema, set()).add(table)
        for schema in schemas:
            present = [(t, c) for t, c in columns if t in tables.get(schema, ())]
            if not present:
                continue
            sql = " UNION ALL ".join(
                f"(SELECT %s, {quote_ident(c)} FROM {quote_ident(schema)}.{quote_ident(t)} "  # noqa: S608
                f"WHERE {quote_ident(c)} = ANY(%s) GROUP BY 2)"
                for t, c in present
            )
            params: list[object] = []
            for t, c in present:
                params += [f"{schema}.{t}.{c}", user_ids]
            with _locks_released():
                cursor.execute(sql, params)
                for where, user_id in cursor.fetchall():
                    found.setdefault(int(user_id), []).append(where)
                if on_schema is not None:
                    on_schema(schema)
    return found


def _unreferenced(
    ids: list[int], schemas: list[str], result: UsersDeleted, *, skip: bool, on_schema: Callable[[str], None] | None
) -> list[int]:
    referenced = users_referenced(ids, schemas=schemas, on_schema=on_schema) if ids else {}
    if referenced and not skip:
        raise UsersReferenced(referenced)
    result.kept.update(referenced)
    return [i for i in ids if i not in referenced]


def users_delete(
    *, user_ids: Iterable[int], skip_referenced: bool = False, on_schema: Callable[[str], None] | None = None
) -> UsersDeleted:
    """Delete these accounts if no company schema names them; see the module docstring."""
    ids = sorted({int(i) for i in user_ids})
    result = UsersDeleted()
    previous = connection.tenant
    connection.set_schema_to_public()
    try:
        schemas = company_schemas()
        ids = _unreferenced(ids, schemas, result, skip=skip_referenced, on_schema=on_schema)
        if ids:
            with transaction.atomic():
                locked = User.objects.select_for_update().filter(pk__in=ids).order_by("pk")
                ids = list(locked.values_list("pk", flat=True))
                ids = _unreferenced(ids, schemas, result, skip=skip_referenced, on_schema=on_schema)  # again, locked
                connection.set_schema_to_public()
                if ids:
                    User.objects.filter(pk__in=ids).delete()  # public rows cascade; company links are DO_NOTHING
                if on_schema is not None:
                    on_schema("public")
        result.deleted = ids
    finally:
        connection.set_tenant(previous)
    return result

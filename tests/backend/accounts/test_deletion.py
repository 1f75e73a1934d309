"""Deleting accounts with many company schemas: users_delete (backend/accounts/deletion.py).

The number of schemas a deletion locks at once is read from pg_locks at every step: at most one company
schema beyond what the test itself holds, whatever the number of companies. The same reading on schemas that
still carry a database foreign key to accounts_user (as company schemas did before) shows each one of them
locked by one DELETE, which is what ran out of lock memory at ~480 companies."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from backend.accounts.deletion import (
    UsersReferenced,
    company_schemas,
    company_user_columns,
    users_delete,
)
from backend.accounts.models import Membership, PrivacyConsent, User
from backend.notifications.models import Notification
from tenants.public_references import public_foreign_keys_drop, public_foreign_keys_in
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def _person(tenant: Any) -> User:
    return cast(User, MemberFactory(tenant=tenant).user)


def _locked_schemas() -> set[str]:
    """The schemas (other than public and the catalogs) with a relation this connection holds a lock on."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT n.nspname FROM pg_locks l
            JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
              AND n.nspname NOT IN ('public', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%%'
            """
        )
        return {row[0] for row in cursor.fetchall()}


def _named_anywhere(user_id: int) -> list[str]:
    """An independent look: every company-schema column of a User foreign key, in every schema that has the table."""
    found = []
    with connection.cursor() as cursor:
        for model, fk in company_user_columns():
            cursor.execute(
                "SELECT table_schema FROM information_schema.columns WHERE table_name = %s AND column_name = %s "
                "AND table_schema <> 'public'",
                [model._meta.db_table, fk.column],
            )
            for (schema,) in cursor.fetchall():
                cursor.execute(
                    f'SELECT 1 FROM "{schema}"."{model._meta.db_table}" WHERE "{fk.column}" = %s LIMIT 1',  # noqa: S608
                    [user_id],
                )
                if cursor.fetchone():
                    found.append(f"{schema}.{model._meta.db_table}")
    return found


def test_every_company_link_to_an_account_is_do_nothing_so_django_never_cascades_across_schemas() -> None:
    from django.db import models

    columns = company_user_columns()
    assert len(columns) > 50
    # Auto-created many-to-many tables cascade within their own schema only; no company model cascades to a person.
    assert [
        f"{m._meta.label}.{f.name}"
        for m, f in columns
        if f.remote_field.on_delete is not models.DO_NOTHING and not m._meta.auto_created
    ] == []


def test_company_schemas_carry_no_database_foreign_key_to_a_public_table(tenant_a: Any, tenant_b: Any) -> None:
    for schema in company_schemas():
        assert public_foreign_keys_in(connection, schema) == [], schema


def test_a_person_of_two_companies_named_nowhere_is_deleted_with_their_public_rows(
    tenant_a: Any, tenant_b: Any
) -> None:
    user = _person(tenant_a)
    Membership.objects.create(user=user, tenant=tenant_b, roles=["finance"])
    PrivacyConsent.objects.create(user=user, tenant=tenant_a, policy_version="2026-01", channel="resident_signup")
    assert len(company_schemas()) >= 3  # alpha, beta, the template (and the spares)

    result = users_delete(user_ids=[user.pk])

    assert result.deleted == [user.pk] and result.kept == {}
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Membership.objects.filter(user_id=user.pk).exists()
    assert not PrivacyConsent.objects.filter(user_id=user.pk).exists()
    assert _named_anywhere(user.pk) == []


def test_a_person_named_in_a_company_is_refused_and_nothing_changes(tenant_a: Any, tenant_b: Any) -> None:
    user = _person(tenant_a)
    Membership.objects.create(user=user, tenant=tenant_b, roles=["finance"])
    with schema_context(tenant_b.schema_name):
        Notification.objects.create(recipient=user, kind="test", title="停水通知")

    with pytest.raises(UsersReferenced) as refused:
        users_delete(user_ids=[user.pk])

    assert refused.value.referenced == {user.pk: [f"{tenant_b.schema_name}.notifications_notification.recipient_id"]}
    assert User.objects.filter(pk=user.pk).exists()
    assert Membership.objects.filter(user=user).count() == 2


def test_skip_referenced_keeps_the_named_people_and_deletes_the_others(tenant_a: Any) -> None:
    named, free = _person(tenant_a), _person(tenant_a)
    with schema_context(tenant_a.schema_name):
        Notification.objects.create(recipient=named, kind="test", title="停水通知")

    result = users_delete(user_ids=[named.pk, free.pk], skip_referenced=True)

    assert result.deleted == [free.pk]
    assert list(result.kept) == [named.pk]
    assert User.objects.filter(pk=named.pk).exists() and not User.objects.filter(pk=free.pk).exists()


def test_the_deletion_locks_at_most_one_company_schema_at_a_time(tenant_a: Any, tenant_b: Any) -> None:
    user = _person(tenant_a)
    Membership.objects.create(user=user, tenant=tenant_b, roles=["finance"])
    held_before = _locked_schemas()  # what the test's own transaction holds already (the factory's inserts)
    seen: list[tuple[str, set[str]]] = []

    def on_schema(schema: str) -> None:
        seen.append((schema, _locked_schemas() - held_before))

    users_delete(user_ids=[user.pk], on_schema=on_schema)

    schemas = company_schemas()
    # Two searches of every schema (the second with the accounts locked), then the public delete.
    assert [s for s, _ in seen].count("public") == 1 and len(seen) >= 2 * len(schemas)
    assert max(len(locked) for _, locked in seen) <= 1
    assert all(locked <= {schema} for schema, locked in seen)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # any deferred foreign-key check runs now
    assert _locked_schemas() - held_before == set()


def _checked_by_a_foreign_key(schemas: list[str]) -> set[str]:
    """Of `schemas`, those whose table this connection holds the lock a foreign-key check takes (ROW SHARE)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT n.nspname FROM pg_locks l
            JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE l.pid = pg_backend_pid() AND l.mode = 'RowShareLock' AND n.nspname = ANY(%s)
            """,
            [schemas],
        )
        return {row[0] for row in cursor.fetchall()}


def test_a_database_foreign_key_from_each_schema_makes_one_delete_lock_every_schema() -> None:
    """Why company schemas no longer carry them: the same DELETE, before and after the keys are dropped."""
    schemas = [f"fkprobe_{i}" for i in range(4)]
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
            cursor.execute(
                f'CREATE TABLE "{schema}".access_apitoken (id int, user_id bigint REFERENCES public.accounts_user (id) '
                "DEFERRABLE INITIALLY DEFERRED)"
            )
    user, other = cast(User, UserFactory()), cast(User, UserFactory())

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_user WHERE id = %s", [user.pk])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert _checked_by_a_foreign_key(schemas) == set(schemas)  # one DELETE, every schema
        transaction.set_rollback(True)

    assert sum(public_foreign_keys_drop(connection, schema) for schema in schemas) == len(schemas)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_user WHERE id = %s", [other.pk])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert _checked_by_a_foreign_key(schemas) == set()

"""backend/response_cache/sql.py: which tables a statement reads and writes."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from backend.response_cache.sql import RAW_TABLES, TRIGGER_WRITES, classify, tables


def test_a_select_reads_every_table_it_names_joins_subqueries_and_comma_joins_included() -> None:
    st = classify(
        'SELECT b.id FROM billing_billrun b, "billing_billline" l JOIN "properties_unit" u ON u.id = l.unit_id '
        'WHERE b.id IN (SELECT bill_id FROM billing_ledgerentry) AND EXISTS (SELECT 1 FROM "accounts_user")'
    )
    assert not st.write
    assert {"billing_billrun", "billing_billline", "properties_unit", "billing_ledgerentry"} <= st.tenant
    assert st.shared == {"accounts_user"}


def test_select_for_update_and_a_read_only_cte_are_reads_a_data_modifying_cte_is_a_write() -> None:
    assert not classify('SELECT * FROM "billing_billline" WHERE id = 1 FOR UPDATE').write
    assert not classify('WITH x AS (SELECT id FROM "billing_billline") SELECT * FROM x').write
    st = classify('WITH x AS (UPDATE "billing_billline" SET status = 1 RETURNING id) SELECT * FROM x')
    assert st.write and "billing_billline" in st.tenant


def test_writes_name_their_tables_and_a_trigger_adds_the_table_it_writes() -> None:
    st = classify('INSERT INTO "billing_ledgerentry" ("amount") VALUES (%s)')
    assert st.write and st.tenant == {"billing_ledgerentry", "billing_billline"}
    assert classify('DELETE FROM "accounts_user" WHERE id = %s').shared == {"accounts_user"}


def test_ddl_and_a_write_naming_no_table_of_ours_invalidate_everything() -> None:
    assert classify('ALTER TABLE "billing_billline" ADD COLUMN x int').everything
    assert classify("TRUNCATE something_else").everything
    assert classify("INSERT INTO not_a_table_of_ours VALUES (1)").everything


def test_bookkeeping_updates_are_ignored_but_not_when_they_change_anything_else() -> None:
    assert not classify('UPDATE "access_apitoken" SET "last_used_at" = %s WHERE "access_apitoken"."id" = %s').write
    assert not classify('UPDATE "accounts_user" SET "last_login" = %s WHERE "accounts_user"."id" = %s').write
    st = classify('UPDATE "accounts_user" SET "last_login" = %s, "name" = %s WHERE "accounts_user"."id" = %s')
    assert st.write and st.shared == {"accounts_user"}


@pytest.mark.django_db
def test_every_table_in_the_database_is_known(tenant_a: object) -> None:
    """A table made by a migration's own SQL, not by a model, must be registered (RAW_TABLES), or a page
    reading it would never be invalidated."""
    tenant, shared = tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('public', %s) "
            "AND table_type = 'BASE TABLE'",
            [tenant_a.schema_name],  # type: ignore[attr-defined]
        )
        found = cursor.fetchall()
    unknown = [(s, t) for s, t in found if t not in (tenant if s != "public" else tenant | shared)]
    # public holds empty copies of the tenant-only tables? It must not hold anything we do not know.
    assert [(s, t) for s, t in unknown if t not in RAW_TABLES] == []


@pytest.mark.django_db
def test_every_trigger_that_writes_another_table_is_in_trigger_writes(tenant_a: object) -> None:
    tenant, shared = tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, p.prosrc FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND n.nspname = %s",
            [tenant_a.schema_name],  # type: ignore[attr-defined]
        )
        rows = cursor.fetchall()
    assert rows, "the billing triggers are there"
    for table, source in rows:
        written = set(re.findall(r"(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+(?:%I\.)?\"?(\w+)", source, re.I))
        written &= tenant | shared
        assert written - {table} <= set(TRIGGER_WRITES.get(table, ())), (table, written)


# --- tables narrowed per person (NARROWED: a notification's recipient) --------------------------------------

NOTE = "notifications_notification"


def _rows(sql: str, params: list[object]) -> list[set[str]]:
    from backend.response_cache.sql import rows_of

    return [{f"{n.table}#{v}" for v in (rows_of(n, params) or ["<unknown>"])} for n in classify(sql).narrow]


def test_a_read_filtered_by_the_recipient_depends_on_that_persons_rows_not_the_table() -> None:
    sql = f'SELECT COUNT(*) FROM "{NOTE}" WHERE ("{NOTE}"."read_at" IS NULL AND "{NOTE}"."recipient_id" = %s)'
    assert NOTE not in classify(sql).tenant
    assert _rows(sql, [42]) == [{f"{NOTE}#42"}]
    sql = f'SELECT "{NOTE}"."id" FROM "{NOTE}" WHERE ("{NOTE}"."kind" = %s AND "{NOTE}"."recipient_id" = %s) LIMIT 20'
    assert _rows(sql, ["bill", 7]) == [{f"{NOTE}#7"}]


def test_a_read_that_is_not_only_one_persons_depends_on_the_whole_table() -> None:
    for sql in (
        f'SELECT * FROM "{NOTE}" WHERE ("{NOTE}"."recipient_id" = %s OR "{NOTE}"."kind" = %s)',
        f'SELECT * FROM "{NOTE}" WHERE "{NOTE}"."kind" = %s',
        f'SELECT * FROM "{NOTE}" WHERE "{NOTE}"."recipient_id" = %s AND id IN (SELECT id FROM "{NOTE}")',
    ):
        assert NOTE in classify(sql).tenant and not classify(sql).narrow, sql


def test_writes_name_the_rows_persons_when_the_statement_shows_them_and_unknown_otherwise() -> None:
    values = f'INSERT INTO "{NOTE}" ("recipient_id", "kind", "title") VALUES (%s, %s, %s), (%s, %s, %s) RETURNING "id"'
    assert _rows(values, [1, "a", "t", 2, "a", "t"]) == [{f"{NOTE}#1", f"{NOTE}#2"}]
    unnest = f'INSERT INTO "{NOTE}" ("kind", "recipient_id") SELECT * FROM UNNEST((%s)::varchar[], (%s)::bigint[])'
    assert _rows(unnest, [["a", "b"], [5, 6]]) == [{f"{NOTE}#5", f"{NOTE}#6"}]
    update = f'UPDATE "{NOTE}" SET "read_at" = %s WHERE ("{NOTE}"."read_at" IS NULL AND "{NOTE}"."recipient_id" = %s)'
    assert _rows(update, ["now", 9]) == [{f"{NOTE}#9"}]
    by_id = classify(f'UPDATE "{NOTE}" SET "read_at" = %s WHERE "{NOTE}"."id" = %s')
    assert by_id.write and NOTE in by_id.tenant and by_id.unnarrowed == {NOTE} and not by_id.narrow


def test_a_narrowed_table_written_by_a_trigger_is_written_for_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.response_cache import sql

    monkeypatch.setitem(sql.NARROWED, "billing_billline", "unit_id")
    sql._classify_cached.cache_clear()
    try:
        st = classify('INSERT INTO "billing_ledgerentry" ("unit_id", "amount") VALUES (%s, %s)')
        assert "billing_billline" in st.tenant and "billing_billline" in st.unnarrowed
    finally:
        sql._classify_cached.cache_clear()

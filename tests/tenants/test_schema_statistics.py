"""tenants.db.schema_analyze: after a company's schema is loaded in bulk (the demo seed), VACUUM (ANALYZE) runs on
each of its tables outside a transaction, so the planner has statistics and the visibility maps are set (index-only
scans); inside a transaction, where VACUUM cannot run, it falls back to ANALYZE."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection, transaction

from tenants.db import schema_analyze


def _maintenance(schema: str) -> dict[str, tuple[Any, Any, int]]:
    """table → (last_vacuum, last_analyze, vacuum_count), read from a separate session (the statistics
    collector's view, as another backend sees it)."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = conn.execute(
            "SELECT relname, last_vacuum, last_analyze, vacuum_count FROM pg_stat_user_tables WHERE schemaname = %s",
            [schema],
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_vacuum_analyze_runs_on_every_table_of_the_company_schema_outside_a_transaction(
    django_db_setup: Any, django_db_blocker: Any
) -> None:
    # Outside any test transaction (VACUUM refuses to run in one); it changes no row, so nothing to undo.
    with django_db_blocker.unblock():
        before, beta_before = _maintenance("alpha"), _maintenance("beta")
        assert "billing_billline" in before and "properties_unit" in before
        assert not transaction.get_connection().in_atomic_block
        assert schema_analyze("alpha") == "VACUUM (ANALYZE)"
        after, beta_after = _maintenance("alpha"), _maintenance("beta")
    for table in ("billing_billline", "billing_ledgerentry", "properties_unit"):
        assert after[table][0] is not None and after[table][1] is not None, table
    assert all(after[t][2] == before[t][2] + 1 for t in before), "every table of the schema, vacuumed once more"
    assert all(beta_after[t][2] == beta_before[t][2] for t in beta_before), "and only that company's"


@pytest.mark.django_db
def test_inside_a_transaction_it_is_analyze_only(tenant_a: Any) -> None:
    before = _maintenance(tenant_a.schema_name)
    with transaction.atomic():
        assert schema_analyze(tenant_a.schema_name) == "ANALYZE"
    after = _maintenance(tenant_a.schema_name)
    assert all(after[t][2] == before[t][2] for t in before)  # no VACUUM

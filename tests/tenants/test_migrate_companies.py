"""migrate_companies (tenants/migrate.py): a schema missing a migration gets it, an up-to-date one is skipped
with one query, a failure is reported against its schema while the others go on, and the public schema is
never touched by a tenant migration."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tenants.migrate import companies_migrate, disk_migrations, schemas_behind

NAME = "9998_test_migrate_companies"
PROBE = "migrate_companies_probe"


def _table_in(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s", [schema, PROBE])
        return cursor.fetchone() is not None


@pytest.fixture
def new_migration() -> Iterator[tuple[str, str]]:
    """A new migration of a tenant app (audit) on disk for the test: it creates a probe table."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaf = loader.graph.leaf_nodes("audit")[0][1]
    package = importlib.import_module(loader.migrations_module("audit")[0])
    path = Path(package.__path__[0]) / f"{NAME}.py"
    path.write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('audit', {leaf!r})]\n"
        f"    operations = [migrations.RunSQL('CREATE TABLE {PROBE} (id integer)', 'DROP TABLE {PROBE}')]\n"
    )
    importlib.invalidate_caches()
    try:
        yield ("audit", NAME)
    finally:
        path.unlink()
        importlib.invalidate_caches()
        sys.modules.pop(f"{package.__name__}.{NAME}", None)


def test_up_to_date_schemas_are_skipped(db):
    assert schemas_behind(["alpha", "beta"], disk_migrations()) == {}
    result = companies_migrate(schemas=["alpha", "beta"], verbosity=0)
    assert result.skipped == ["alpha", "beta"] and result.migrated == [] and result.failed == {}


def test_a_schema_missing_a_migration_gets_it_and_an_up_to_date_one_is_skipped(db, new_migration):
    assert schemas_behind(["alpha", "beta"], disk_migrations()) == {"alpha": {new_migration}, "beta": {new_migration}}
    first = companies_migrate(schemas=["alpha"], verbosity=0)
    assert first.migrated == ["alpha"] and _table_in("alpha") and not _table_in("beta")

    lines: list[str] = []
    second = companies_migrate(schemas=["alpha", "beta"], verbosity=1, write=lines.append)
    assert second.skipped == ["alpha"] and second.migrated == ["beta"] and second.failed == {}
    assert _table_in("beta") and not _table_in("public")
    assert lines[-1] == "1 schema(s) up to date, 1 migrated, 0 failed"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM beta.django_migrations WHERE app = 'audit' AND name = %s", [NAME])
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT count(*) FROM public.django_migrations WHERE app = 'audit' AND name = %s", [NAME])
        assert cursor.fetchone()[0] == 0
    assert schemas_behind(["alpha", "beta"], disk_migrations()) == {}


def test_a_failure_names_its_schema_and_the_others_still_migrate(db, new_migration):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE beta.{PROBE} (id integer)")  # the migration's CREATE TABLE fails there
    result = companies_migrate(schemas=["alpha", "beta"], verbosity=0)
    assert result.migrated == ["alpha"] and list(result.failed) == ["beta"]
    assert "already exists" in result.failed["beta"]
    with pytest.raises(CommandError, match=r"schema\(s\): beta: "):
        call_command("migrate_companies", schemas=["beta"], skip_shared=True, verbosity=0)
    assert connection.schema_name == "public"


def _content_types_and_permissions(schema: str) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}".django_content_type')  # noqa: S608
        content_types = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM public.auth_permission")
        return content_types, cursor.fetchone()[0]


def test_a_plan_without_model_changes_skips_post_migrate_and_leaves_nothing_for_it_to_add(db, new_migration):
    from django.db.models.signals import post_migrate

    sent: list[str] = []

    def receiver(sender, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(sender.label)

    before = _content_types_and_permissions("alpha")
    post_migrate.connect(receiver, dispatch_uid="test-skip")
    try:
        result = companies_migrate(schemas=["alpha"], verbosity=0)
    finally:
        post_migrate.disconnect(dispatch_uid="test-skip")
    assert result.migrated == ["alpha"] and sent == []
    assert _content_types_and_permissions("alpha") == before
    # What the skipped signal would have done: nothing. (Run it now, as `migrate` would have.)
    from django.apps import apps
    from django.core.management.sql import emit_post_migrate_signal

    from tenants.db import connection as tenant_connection

    tenant_connection.set_schema("alpha")
    try:
        emit_post_migrate_signal(0, False, connection.alias, stdout=None, apps=apps, plan=[])
    finally:
        tenant_connection.set_schema_to_public()
    assert _content_types_and_permissions("alpha") == before


def test_a_plan_that_adds_renames_or_deletes_a_model_or_its_options_sends_post_migrate():
    from django.db import migrations, models
    from django.db.migrations.operations.base import Operation

    from tenants.migrate import plan_needs_post_migrate

    def plan(*ops: Operation) -> list[tuple[object, bool]]:
        probe = type("Migration", (migrations.Migration,), {"operations": list(ops)})
        return [(probe("0099_probe", "audit"), False)]

    create = migrations.CreateModel("Probe", [("id", models.AutoField(primary_key=True))])
    assert plan_needs_post_migrate(plan(create))
    assert plan_needs_post_migrate(plan(migrations.RenameModel("Probe", "Probe2")))
    assert plan_needs_post_migrate(plan(migrations.DeleteModel("Probe")))
    assert plan_needs_post_migrate(plan(migrations.AlterModelOptions("probe", {"permissions": [("x", "x")]})))
    assert plan_needs_post_migrate(plan(migrations.SeparateDatabaseAndState(state_operations=[create])))
    assert plan_needs_post_migrate([(plan()[0][0], True)])  # backwards
    assert not plan_needs_post_migrate(
        plan(migrations.RunSQL("SELECT 1"), migrations.AddField("auditentry", "probe", models.IntegerField(null=True)))
    )

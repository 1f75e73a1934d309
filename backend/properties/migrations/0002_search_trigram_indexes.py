"""Trigram GIN indexes for the registry search box, where pg_trgm is installed (see accounts 0002)."""

from django.db import migrations

INDEXES = {
    "unit_search_trgm": "properties_unit",
    "person_search_trgm": "properties_person",
}


def create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not cursor.fetchone():
            return
        for name, table in INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)")


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("properties", "0001_initial"), ("accounts", "0002_pg_trgm")]
    operations = [migrations.RunPython(create, drop)]

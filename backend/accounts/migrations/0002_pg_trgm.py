"""pg_trgm in the public schema, where every company schema finds it, when the server has the extension.
(The embedded pgserver has no contrib extensions: search then works without the trigram indexes.)"""

from django.db import migrations


def install(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone():
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]

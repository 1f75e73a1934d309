"""Company schemas made before: their foreign keys to public tables dropped (tenants/public_references.py)."""

from django.db import migrations


def drop(apps, schema_editor):
    from tenants.public_references import public_foreign_keys_drop

    connection = schema_editor.connection
    public_foreign_keys_drop(connection, getattr(connection, "schema_name", "public"))


class Migration(migrations.Migration):
    dependencies = [("company", "0002_default_settings")]
    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]

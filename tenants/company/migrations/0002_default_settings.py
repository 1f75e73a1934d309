from django.db import migrations


def seed(apps, schema_editor):
    apps.get_model("company", "CompanySettings").objects.get_or_create(singleton=True)


class Migration(migrations.Migration):
    dependencies = [("company", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

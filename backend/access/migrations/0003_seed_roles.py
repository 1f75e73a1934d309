"""Every company starts with the six roles (the template schema carries these rows into each clone)."""

from django.db import migrations

DEFAULT_ROLES = [
    ("company_admin", "管理处主任 / 公司管理员", "Configures fees, facilities and roles; sees every report."),
    ("finance", "财务 / 收费员", "Fee standards, bill runs, counter collection, receipts, refunds, arrears."),
    ("customer_service", "客服", "Move-in, repairs intake, complaints, revisits, dunning, announcements."),
    ("engineer", "工程维修", "Receives repair work orders and reports completion."),
    ("security", "安护", "Visitor and goods-release checks, incidents."),
    ("resident", "业主 / 住户", "Pays fees, books facilities, orders, reports repairs."),
]


def seed(apps, schema_editor):
    RoleDefinition = apps.get_model("access", "RoleDefinition")
    for code, name, description in DEFAULT_ROLES:
        RoleDefinition.objects.update_or_create(code=code, defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("access", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

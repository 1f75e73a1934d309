"""Self-service onboarding: what a new company gets, what bad input gets, and that failure leaves nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from backend.accounts.models import Membership, User
from backend.errors import ApplicationError
from tenants.models import Domain, Tenant
from tenants.services import company_onboard

GOOD = {
    "company_name": "绿城物业",
    "subdomain": "lvcheng",
    "admin_name": "王经理",
    "admin_email": "Wang@LvCheng.test",
    "admin_phone": "+86 139-1234-5678",
    "admin_password": "Lvcheng-2026-pw",
}


def onboard(**overrides: str):
    return company_onboard(**{**GOOD, **overrides})


def test_onboarding_creates_company_schema_domain_admin_and_defaults(db):
    result = onboard()
    tenant = result.tenant
    assert tenant.slug == "lvcheng" and tenant.schema_name == "lvcheng"
    assert (tenant.currency, tenant.time_zone, tenant.default_language) == ("CNY", "Asia/Shanghai", "zh-hans")
    assert tenant.status == Tenant.Status.ACTIVE
    assert result.domain.domain == "lvcheng.localhost" and result.domain.is_primary
    assert result.portal_url == "http://lvcheng.localhost/staff/"
    assert schema_exists("lvcheng")
    admin = User.objects.get(email="wang@lvcheng.test")
    assert admin.phone == "13912345678" and admin.check_password("Lvcheng-2026-pw")
    assert Membership.objects.get(user=admin, tenant=tenant).roles == ["company_admin"]
    with schema_context("lvcheng"):
        from backend.access.models import RoleDefinition
        from backend.audit.models import AuditEntry
        from tenants.company.models import CompanySettings

        assert set(RoleDefinition.objects.values_list("code", flat=True)) == {
            "company_admin",
            "finance",
            "customer_service",
            "engineer",
            "security",
            "resident",
        }
        assert CompanySettings.objects.get().display_name == "绿城物业"
        assert AuditEntry.objects.filter(action="company.onboard", user_id=admin.pk).count() == 1
        # The clone is a real, current schema: migrations recorded, sequences usable.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'access'")
            assert cursor.fetchone()[0] >= 3
        RoleDefinition.objects.filter(code="engineer").delete()
        RoleDefinition.objects.create(code="engineer", name="工程部")


def test_onboarded_company_does_not_share_rows_with_the_template(db):
    onboard()
    with schema_context("lvcheng"):
        from tenants.company.models import CompanySettings

        CompanySettings.objects.update(service_phone="0571-1234")
    with schema_context("tenant_template"):
        from tenants.company.models import CompanySettings

        assert CompanySettings.objects.get().service_phone == ""


@pytest.mark.parametrize(
    ("field", "value", "message_part"),
    [
        ("subdomain", "alpha", "taken"),
        ("subdomain", "www", "reserved"),
        ("subdomain", "admin", "reserved"),
        ("subdomain", "static", "reserved"),
        ("subdomain", "pg-data", "reserved"),
        ("subdomain", "tenant-template", "reserved"),
        ("subdomain", "Bad_Name", "lowercase"),
        ("subdomain", "ab", "lowercase"),
        ("subdomain", "-lead", "lowercase"),
        ("subdomain", "trail-", "lowercase"),
        ("subdomain", "9start", "lowercase"),
        ("subdomain", "", "Choose"),
        ("admin_password", "12345678", "numeric"),
        ("admin_password", "short", "too short"),
        ("admin_password", "password123", "common"),
        ("admin_email", "admin@alpha.test", "already registered"),
        ("admin_email", "not-an-email", "valid e-mail"),
        ("admin_phone", "12345", "11-digit"),
        ("admin_phone", "13900000001", "already registered"),
        ("company_name", "   ", "company name"),
    ],
)
def test_bad_signup_input_gets_a_field_error_and_creates_nothing(db, field, value, message_part):
    before = (Tenant.objects.count(), Domain.objects.count(), User.objects.count())
    with pytest.raises(ApplicationError) as caught:
        onboard(**{field: value})
    assert field in caught.value.fields
    assert message_part.lower() in " ".join(caught.value.fields[field]).lower()
    assert (Tenant.objects.count(), Domain.objects.count(), User.objects.count()) == before
    assert not schema_exists("lvcheng")


def test_failure_after_the_schema_is_cloned_leaves_no_schema_domain_or_user(db, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("disk full")

    # The audit entry is the last write of onboarding: everything else exists when it fails.
    monkeypatch.setattr("tenants.services.audit_record", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        onboard()
    assert not Tenant.objects.filter(slug="lvcheng").exists()
    assert not Domain.objects.filter(domain="lvcheng.localhost").exists()
    assert not User.objects.filter(email="wang@lvcheng.test").exists()
    assert not schema_exists("lvcheng")
    # and the same sign-up then succeeds
    monkeypatch.undo()
    assert onboard().tenant.slug == "lvcheng"


def test_tenant_create_command_onboards_like_the_signup_page(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "tenant_create",
        "--name",
        "滨江物业",
        "--subdomain",
        "binjiang",
        "--admin-name",
        "李",
        "--admin-email",
        "li@binjiang.test",
        "--admin-phone",
        "13711112222",
        "--admin-password",
        "Qiantang-river-88",
        stdout=out,
    )
    assert "binjiang" in out.getvalue()
    tenant = Tenant.objects.get(slug="binjiang")
    assert Membership.objects.get(tenant=tenant, user__email="li@binjiang.test").roles == ["company_admin"]


def test_tenant_create_command_reports_field_errors(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="subdomain"):
        call_command(
            "tenant_create",
            "--name",
            "X",
            "--subdomain",
            "www",
            "--admin-name",
            "李",
            "--admin-email",
            "li@x.test",
            "--admin-phone",
            "13711112223",
            "--admin-password",
            "Xx-2026-pass",
        )


def spare_count() -> int:
    return Tenant.objects.filter(status=Tenant.Status.SPARE).count()


def test_onboarding_takes_a_ready_spare_schema_and_renames_it(db):
    from tenants.spares import spare_schemas_fill

    spare_schemas_fill(target=1)
    spare = Tenant.objects.filter(status=Tenant.Status.SPARE).order_by("id").first()
    before = spare_count()
    result = onboard()
    assert result.tenant.pk == spare.pk  # the spare row became the company
    assert spare_count() == before - 1
    assert schema_exists("lvcheng") and not schema_exists(spare.schema_name)


def test_onboarding_clones_on_the_spot_when_no_spare_is_left(db):
    Tenant.objects.filter(status=Tenant.Status.SPARE).delete()  # rolled back with the test
    result = onboard()
    assert schema_exists("lvcheng")
    with schema_context(result.tenant.schema_name):
        from backend.access.models import RoleDefinition

        assert RoleDefinition.objects.count() == 6


def test_refill_task_clones_spares_up_to_the_pool_size(db, settings):
    from tenants.tasks import spare_schemas_refill

    settings.TENANT_SPARE_SCHEMAS = 3
    Tenant.objects.filter(status=Tenant.Status.SPARE).delete()
    assert spare_schemas_refill.apply().get() == 3
    spares = Tenant.objects.filter(status=Tenant.Status.SPARE)
    assert spares.count() == 3 and all(schema_exists(t.schema_name) for t in spares)
    assert spare_schemas_refill.apply().get() == 0


def test_spare_schemas_are_never_served(db, client):
    from tenants.models import Domain
    from tenants.spares import spare_schemas_fill

    spare_schemas_fill(target=1)
    spare = Tenant.objects.filter(status=Tenant.Status.SPARE).first()
    Domain.objects.create(domain="spare.localhost", tenant=spare, is_primary=True)
    assert client.get("/login/", HTTP_HOST="spare.localhost").status_code == 404

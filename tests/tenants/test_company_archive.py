"""A company out and back (backend/operations/archive.py) and a company gone (backend/operations/deletion.py),
on committed data: the 绿城物业 demo company (288 units, three months of billing) seeded under a fresh subdomain,
exported with pg_dump, restored as a new company with identical row counts and balances, then deleted."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from backend.accounts.deletion import users_delete
from backend.accounts.models import Membership, User
from backend.demo.companies import DEMO_PASSWORD, LVCHENG, DemoLogin, company_seed
from backend.errors import ApplicationError
from backend.operations.archive import (
    company_export,
    company_restore,
    ledger_balances,
    public_models,
    schema_sql_rename,
    schema_tables,
)
from backend.operations.deletion import companies_delete_due, company_delete_cancel, company_delete_schedule
from tenants.models import Tenant

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def _leftovers(tenant_pk: int, schema: str) -> list[str]:
    """Anything in the public schema or on disk that still belongs to the company."""
    from backend.gateway.models import WebhookEvent

    found = [
        f"{m._meta.label}: {n}"
        for m, fk in public_models()
        if (n := m._default_manager.filter(**{f"{fk}_id": tenant_pk}).count())
    ]
    if Tenant.objects.filter(pk=tenant_pk).exists():
        found.append("its Tenant row")
    if WebhookEvent.objects.filter(tenant_schema=schema).exists():
        found.append("webhook events")
    if _schema_exists(schema):
        found.append("its schema")
    if (Path(settings.MEDIA_ROOT) / schema).exists():
        found.append("its files")
    return found


@contextlib.contextmanager
def committed_company(django_db_blocker: Any) -> Iterator[tuple[Any, Any, list[str]]]:
    """绿城物业 under a new subdomain, committed; whatever the tests leave is deleted afterwards."""
    tag = uuid.uuid4().hex[:6]
    people = tuple(
        DemoLogin(p.role, p.name, f"{tag}-{p.email}", f"139{uuid.uuid4().int % 10**8:08d}") for p in LVCHENG.people
    )
    spec = dataclasses.replace(LVCHENG, slug=f"arch-{tag}", people=people)
    made: list[str] = [spec.slug]
    with django_db_blocker.unblock():
        try:
            tenant = company_seed(spec)
            with schema_context(tenant.schema_name):
                from backend.notifications.models import Announcement

                Announcement.objects.create(
                    title="停水通知",
                    body="<p>明天停水</p>",
                    image=ContentFile(PNG, name="notice.png"),
                    publish_at=timezone.now(),
                    target_all=True,
                )
            yield tenant, spec, made
        finally:
            connection.set_schema_to_public()
            for slug in made:
                leftover = Tenant.objects.filter(slug=slug).first()
                if leftover is not None:
                    if leftover.delete_after is None:
                        company_delete_schedule(tenant=leftover, reason="test clean-up", days=0)
                    companies_delete_due()
            users_delete(
                user_ids=User.objects.filter(email__startswith=f"{tag}-").values_list("pk", flat=True),
                skip_referenced=True,
            )
            for stale in Tenant.objects.filter(
                slug__startswith="arch-", created_at__lt=timezone.now() - dt.timedelta(hours=1)
            ):
                company_delete_schedule(tenant=stale, reason="stale test company", days=0)
                companies_delete_due()


@pytest.fixture(scope="module")
def kept_company(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[Any, Any, list[str]]]:
    """One company for the tests that export it and leave it as it was (the first checks it is untouched)."""
    with committed_company(django_db_blocker) as made:
        yield made


@pytest.fixture
def company(django_db_blocker: Any) -> Iterator[tuple[Any, Any, list[str]]]:
    """A company of its own, for a test that changes it (deletes it)."""
    with committed_company(django_db_blocker) as made:
        yield made


def test_export_then_restore_gives_the_same_company_with_identical_rows_and_balances(
    kept_company: Any, tmp_path: Path, django_db_blocker: Any
) -> None:
    tenant, spec, made = kept_company
    with django_db_blocker.unblock():
        before_tables = schema_tables(tenant.schema_name)
        before_balances = ledger_balances(tenant.schema_name)
        assert sum(before_tables.values()) > 1000 and len(before_balances) > 100
        archived = company_export(tenant, tmp_path / "lvcheng.tar.gz")
        assert archived.tables == before_tables and archived.balances == before_balances
        assert archived.files == 1 and archived.public_rows == len(spec.people)

        new_slug = f"{tenant.slug}-copy"
        restored = company_restore(archived.path, slug=new_slug, name="绿城物业（恢复）")
        made.append(new_slug)
        copy = restored.tenant
        assert copy.schema_name != tenant.schema_name and restored.skipped == []
        after = schema_tables(copy.schema_name)
        # The same rows in every table, plus the restore's own line in the company's audit log.
        assert {k: v for k, v in after.items() if k != "audit_auditentry"} == {
            k: v for k, v in before_tables.items() if k != "audit_auditentry"
        }
        assert after["audit_auditentry"] == before_tables["audit_auditentry"] + 1
        assert ledger_balances(copy.schema_name) == before_balances
        # The same people, with the same roles, sign in to the new company with their old passwords.
        roles = {m.user.email: m.roles for m in Membership.objects.filter(tenant=tenant).select_related("user")}
        assert {m.user.email: m.roles for m in Membership.objects.filter(tenant=copy).select_related("user")} == roles
        assert User.objects.get(email=spec.people[0].email).check_password(DEMO_PASSWORD)
        # The file came along, under the new schema, and the row points at it.
        with schema_context(copy.schema_name):
            from backend.notifications.models import Announcement

            image = Announcement.objects.get(title="停水通知").image
            assert image.name.startswith(f"{copy.schema_name}/") and image.read() == PNG
        # The original is untouched.
        assert schema_tables(tenant.schema_name) == before_tables


def test_a_restore_onto_a_taken_subdomain_or_from_a_bad_archive_leaves_nothing(
    kept_company: Any, tmp_path: Path, django_db_blocker: Any
) -> None:
    tenant, _spec, _made = kept_company
    with django_db_blocker.unblock():
        archived = company_export(tenant, tmp_path / "a.tar.gz")
        with pytest.raises(ApplicationError) as taken:
            company_restore(archived.path, slug=tenant.slug)
        assert "slug" in taken.value.fields
        bad = tmp_path / "bad.tar.gz"
        bad.write_bytes(b"not an archive")
        with pytest.raises(ApplicationError) as broken:
            company_restore(bad, slug=f"{tenant.slug}-x")
        assert "archive" in broken.value.fields
        # An archive whose rows were tampered with: loaded, found different, rolled back completely.
        tampered = tmp_path / "tampered.tar.gz"
        with tarfile.open(archived.path) as src, tarfile.open(tampered, "w:gz") as dst:
            for member in src.getmembers():
                data = src.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
                if member.name == "manifest.json" and data is not None:
                    data = data.replace(b'"billing_ledgerentry": ', b'"billing_ledgerentry": 1')
                    member.size = len(data)
                dst.addfile(member, io.BytesIO(data) if data is not None else None)
        with pytest.raises(ApplicationError):
            company_restore(tampered, slug=f"{tenant.slug}-t")
        schema = f"{tenant.schema_name}_t"
        assert not Tenant.objects.filter(slug=f"{tenant.slug}-t").exists()
        assert not _schema_exists(schema) and not (Path(settings.MEDIA_ROOT) / schema).exists()


def test_a_deleted_company_leaves_no_row_no_file_and_no_account_of_its_own(
    company: Any, django_db_blocker: Any, tenant_b: Any
) -> None:
    tenant, spec, _made = company
    with django_db_blocker.unblock():
        # One of its people also works for another company: that account stays.
        shared = User.objects.get(email=spec.people[1].email)
        Membership.objects.create(user=shared, tenant=tenant_b, roles=["finance"])
        only_here = [User.objects.get(email=p.email).pk for p in spec.people if p.email != shared.email]
        scheduled = company_delete_schedule(tenant=tenant, reason="合同到期", days=30)
        assert scheduled.status == Tenant.Status.SUSPENDED and "合同到期" in scheduled.suspended_reason
        # Within the grace period nothing is deleted, and the deletion can be called off.
        assert companies_delete_due() == []
        assert company_delete_cancel(tenant=scheduled).status == Tenant.Status.ACTIVE
        company_delete_schedule(tenant=tenant, reason="合同到期", days=30)
        purged = companies_delete_due(now=timezone.now() + dt.timedelta(days=31))
        assert [p.schema for p in purged] == [tenant.schema_name]
        assert _leftovers(tenant.pk, tenant.schema_name) == []
        assert not User.objects.filter(pk__in=only_here).exists()
        assert User.objects.filter(pk=shared.pk).exists()
        Membership.objects.filter(user=shared).delete()


def test_the_schema_rename_keeps_rows_that_mention_the_old_name() -> None:
    dump = io.StringIO(
        "CREATE SCHEMA alpha;\n"
        "CREATE TABLE alpha.t (id integer DEFAULT nextval('alpha.t_id_seq'::regclass), note text);\n"
        'ALTER TABLE ONLY "alpha".t ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n'
        "COPY alpha.t (id, note) FROM stdin;\n"
        "1\talpha.txt and alpha; stay\n"
        "\\.\n"
        "SELECT pg_catalog.setval('alpha.t_id_seq', 1, true);\n"
    )
    out = io.StringIO()
    schema_sql_rename(dump, out, old="alpha", new="alpha_copy")
    assert out.getvalue().splitlines() == [
        "CREATE SCHEMA alpha_copy;",
        "CREATE TABLE alpha_copy.t (id integer DEFAULT nextval('alpha_copy.t_id_seq'::regclass), note text);",
        'ALTER TABLE ONLY "alpha_copy".t ADD CONSTRAINT t_pkey PRIMARY KEY (id);',
        "COPY alpha_copy.t (id, note) FROM stdin;",
        "1\talpha.txt and alpha; stay",
        "\\.",
        "SELECT pg_catalog.setval('alpha_copy.t_id_seq', 1, true);",
    ]

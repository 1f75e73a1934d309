"""Two sign-ups at the same moment, in separate connections with committed transactions."""

from __future__ import annotations

import threading
import uuid

from django.db import connection, connections

from backend.errors import ApplicationError


def onboard_in_thread(results: list, barrier: threading.Barrier, slug: str, n: int) -> None:
    from tenants.services import company_onboard

    try:
        barrier.wait(timeout=10)
        result = company_onboard(
            company_name=f"并发物业{n}",
            subdomain=slug,
            admin_name="并发",
            admin_email=f"race{n}-{slug}@example.test",
            admin_phone=f"155{uuid.uuid4().int % 10**8:08d}",
            admin_password="Race-condition-2026",
        )
        results.append(("ok", result.tenant.pk))
    except ApplicationError as error:
        results.append(("error", error.fields))
    finally:
        connections.close_all()


def run_pair(slugs: list[str]) -> list:
    results: list = []
    barrier = threading.Barrier(len(slugs))
    threads = [threading.Thread(target=onboard_in_thread, args=(results, barrier, s, i)) for i, s in enumerate(slugs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def cleanup(prefix: str) -> None:
    from backend.accounts.models import Membership, User
    from tenants.models import Tenant

    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(slug__startswith=prefix):
        ids = list(Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True))
        tenant.delete(force_drop=True)
        User.objects.filter(pk__in=ids).delete()


def test_two_signups_for_the_same_subdomain_at_once_give_one_company_and_one_field_error(
    django_db_setup, django_db_blocker
):
    prefix = f"race-{uuid.uuid4().hex[:5]}"
    with django_db_blocker.unblock():
        try:
            results = run_pair([prefix, prefix])
            outcomes = sorted(r[0] for r in results)
            assert outcomes == ["error", "ok"], results
            assert "subdomain" in next(r[1] for r in results if r[0] == "error")
            from tenants.models import Tenant

            assert Tenant.objects.filter(slug=prefix).count() == 1
        finally:
            cleanup(prefix)


def test_concurrent_signups_each_get_their_own_schema(django_db_setup, django_db_blocker):
    prefix = f"pair-{uuid.uuid4().hex[:5]}"
    with django_db_blocker.unblock():
        try:
            results = run_pair([f"{prefix}-a", f"{prefix}-b"])
            assert [r[0] for r in results] == ["ok", "ok"], results
            assert results[0][1] != results[1][1]
            from django_tenants.utils import schema_exists

            assert schema_exists(f"{prefix}-a".replace("-", "_")) and schema_exists(f"{prefix}-b".replace("-", "_"))
        finally:
            cleanup(prefix)
            from tenants.spares import spare_schemas_fill

            spare_schemas_fill()


def test_two_signups_for_the_same_subdomain_with_no_spare_left_also_end_cleanly(django_db_setup, django_db_blocker):
    from tenants.models import Tenant
    from tenants.spares import spare_schemas_fill

    prefix = f"race-{uuid.uuid4().hex[:5]}"
    with django_db_blocker.unblock():
        spares = list(Tenant.objects.filter(status=Tenant.Status.SPARE))
        for spare in spares:
            spare.delete(force_drop=True)
        try:
            results = run_pair([prefix, prefix])
            assert sorted(r[0] for r in results) == ["error", "ok"], results
        finally:
            cleanup(prefix)
            spare_schemas_fill()

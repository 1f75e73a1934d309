"""The host → company cache (tenants/hosts.py): no query per request, and every change seen at once."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.host_cache import KEY
from tenants.hosts import tenant_for_hostname
from tenants.models import Domain
from tenants.services import company_resume, company_suspend


def _queries(fn, *args):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        result = fn(*args)
    return result, len(captured.captured_queries)


def test_a_known_host_is_answered_from_the_cache_without_a_query(tenant_a):
    first, queries = _queries(tenant_for_hostname, "alpha.localhost")
    assert first.pk == tenant_a.pk and queries == 1
    again, queries = _queries(tenant_for_hostname, "alpha.localhost")
    assert queries == 0
    assert (again.pk, again.schema_name, again.status, again.name) == (
        tenant_a.pk,
        tenant_a.schema_name,
        tenant_a.status,
        tenant_a.name,
    )


def test_an_unknown_host_is_remembered_briefly_and_forgotten_when_its_domain_is_added(tenant_a):
    assert tenant_for_hostname("new-home.example.test") is None
    assert _queries(tenant_for_hostname, "new-home.example.test") == (None, 0)
    Domain.objects.create(domain="new-home.example.test", tenant=tenant_a, is_primary=False)
    found, queries = _queries(tenant_for_hostname, "new-home.example.test")
    assert found.pk == tenant_a.pk and queries == 1


def test_suspension_is_seen_by_the_next_request_although_the_host_was_cached(tenant_a, member, client_for):
    client = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    assert client.get("/api/v1/me/").status_code == 200  # cached now
    company_suspend(tenant=tenant_a, reason="合同到期")
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "合同到期"
    company_resume(tenant=tenant_a)
    assert client.get("/api/v1/me/").status_code == 200


def test_a_removed_domain_stops_answering_at_once(tenant_a):
    domain = Domain.objects.create(domain="old-home.example.test", tenant=tenant_a, is_primary=False)
    assert tenant_for_hostname("old-home.example.test").pk == tenant_a.pk
    domain.delete()
    assert tenant_for_hostname("old-home.example.test") is None


def test_a_renamed_domain_forgets_its_old_name(tenant_a):
    domain = Domain.objects.create(domain="before.example.test", tenant=tenant_a, is_primary=False)
    assert tenant_for_hostname("before.example.test") is not None
    domain.domain = "after.example.test"
    domain.save()
    assert tenant_for_hostname("before.example.test") is None
    assert tenant_for_hostname("after.example.test").pk == tenant_a.pk


def test_an_entry_cached_by_an_older_release_is_read_from_the_database_instead(tenant_a):
    cache.set(KEY.format("alpha.localhost"), {"id": tenant_a.pk, "a_field_that_no_longer_exists": 1})
    found, queries = _queries(tenant_for_hostname, "alpha.localhost")
    assert found.pk == tenant_a.pk and queries == 1

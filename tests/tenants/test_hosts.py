"""The host → company cache (tenants/hosts.py): no query per request, and every change seen at once."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.host_cache import KEY
from tenants.hosts import tenant_for_hostname
from tenants.models import Domain, Tenant
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


def test_each_process_keeps_a_host_for_a_moment_then_asks_again(tenant_a, settings):
    """In front of Redis, a process answers from its own copy for HOST_CACHE_LOCAL_SECONDS: a change made by
    another process (here: behind this one's back, straight in the table and in Redis) is seen once that moment
    has passed."""
    settings.HOST_CACHE_LOCAL_SECONDS = 0.2
    assert tenant_for_hostname("alpha.localhost").status == "active"
    Tenant.objects.filter(pk=tenant_a.pk).update(status="suspended")  # no hosts_forget: as another process
    cache.delete(KEY.format("alpha.localhost"))
    still, queries = _queries(tenant_for_hostname, "alpha.localhost")
    assert still.status == "active" and queries == 0
    time.sleep(0.25)
    seen, queries = _queries(tenant_for_hostname, "alpha.localhost")
    assert seen.status == "suspended" and queries == 1


def test_without_the_moment_every_lookup_asks_redis(tenant_a, settings):
    settings.HOST_CACHE_LOCAL_SECONDS = 0
    assert tenant_for_hostname("alpha.localhost").pk == tenant_a.pk
    Domain.objects.filter(domain="alpha.localhost").update(domain="alpha-moved.localhost")
    assert tenant_for_hostname("alpha.localhost").pk == tenant_a.pk  # still in Redis, as before
    cache.delete(KEY.format("alpha.localhost"))
    assert tenant_for_hostname("alpha.localhost") is None

"""Sessions: read from Redis first (cached_db) under a key that names the company's schema."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_a_signed_in_page_reads_its_session_from_the_cache_not_the_table(tenant_a, member, client_for):
    client = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    client.get("/staff/")  # the first read may fill the cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/").status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_company_a_session_key_finds_nothing_on_company_b_even_when_cached(tenant_a, tenant_b, member, client_for):
    user = member(tenant_a, ["company_admin"])
    signed_in_a = client_for(tenant_a, user)
    assert signed_in_a.get("/api/v1/me/").status_code == 200  # A's session now sits in the cache
    on_b = client_for(tenant_b)
    on_b.cookies["sessionid"] = signed_in_a.cookies["sessionid"].value
    assert on_b.get("/api/v1/me/").status_code == 401
    assert on_b.get("/staff/").status_code == 302
    # ...and trying it on B did not end the session on A.
    assert signed_in_a.get("/api/v1/me/").status_code == 200


def test_signing_out_ends_the_cached_session_too(tenant_a, member, client_for):
    client = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    key = client.cookies["sessionid"].value
    assert client.get("/api/v1/me/").status_code == 200
    client.post("/logout/")
    replay = client_for(tenant_a)
    replay.cookies["sessionid"] = key
    assert replay.get("/api/v1/me/").status_code == 401

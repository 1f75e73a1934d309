"""The signed-in person and their membership here come from one query (backend/accounts/signed_in.py), for
a session and for a bearer token, and what that query found is never used for another company."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.access.models import ApiToken
from backend.access.services import api_token_issue
from backend.accounts.models import Membership, User
from backend.accounts.signed_in import membership_of_signed_in, remember_membership, user_with_membership_here
from tests.factories import MemberFactory


def _account_queries(queries: CaptureQueriesContext) -> list[str]:
    sqls = [q["sql"] for q in queries.captured_queries]
    return [sql for sql in sqls if "accounts_user" in sql or "accounts_membership" in sql]


def test_a_signed_in_page_reads_the_user_and_their_membership_in_one_query(tenant_a, member, client_for):
    client = client_for(tenant_a, member(tenant_a, ["finance"]))
    client.get("/staff/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/").status_code == 200
    reads = _account_queries(queries)
    assert len(reads) == 1 and "accounts_membership" in reads[0]


def test_an_api_token_brings_its_user_and_membership_in_one_query(tenant_a, member, client_for):
    user = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    _token, raw = api_token_issue(user=user)
    connection.set_schema_to_public()
    client = client_for(tenant_a)
    with CaptureQueriesContext(connection) as queries:
        me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200 and me.json()["roles"] == ["finance"]
    reads = _account_queries(queries)
    assert len(reads) == 1 and "access_apitoken" in reads[0] and "accounts_membership" in reads[0]


def test_a_token_of_someone_no_longer_a_member_here_is_refused(tenant_a, member, client_for):
    user = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    _token, raw = api_token_issue(user=user)
    connection.set_schema_to_public()
    Membership.objects.filter(user=user, tenant=tenant_a).update(is_active=False)
    response = client_for(tenant_a).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403


def test_each_company_sees_its_own_membership_of_one_person(tenant_a, tenant_b, member, client_for):
    user = member(tenant_a, ["finance"])
    MemberFactory(tenant=tenant_b, user=user, roles=["customer_service"])
    assert client_for(tenant_a, user).get("/api/v1/me/").json()["roles"] == ["finance"]
    assert client_for(tenant_b, user).get("/api/v1/me/").json()["roles"] == ["customer_service"]


def test_a_session_of_a_member_deactivated_here_is_ended(tenant_a, member, client_for):
    user = member(tenant_a, ["finance"])
    client = client_for(tenant_a, user)
    Membership.objects.filter(user=user, tenant=tenant_a).update(is_active=False)
    assert client.get("/staff/").status_code == 302
    assert client.get("/api/v1/me/").status_code == 401  # signed out by the first request


def test_what_was_read_for_one_company_is_not_used_for_another(tenant_a, tenant_b, member):
    user = member(tenant_a, ["finance"])
    MemberFactory(tenant=tenant_b, user=user, roles=["customer_service"])
    remember_membership(user, tenant_id=tenant_a.pk, membership=None)  # "no membership in A"
    assert membership_of_signed_in(user=user, tenant=tenant_a) is None
    on_b = membership_of_signed_in(user=user, tenant=tenant_b)
    assert on_b is not None and on_b.roles == ["customer_service"]


def _fields(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_written_out_read_finds_what_the_orm_finds(tenant_a, tenant_b, member):
    """user_with_membership_here's own SQL (JoinedRead) brings back the same field values, converted the same
    way (arrays, times, booleans), as the ORM's reads of the user and of their active membership here."""
    user = member(tenant_a, ["finance", "customer_service"])
    MemberFactory(tenant=tenant_b, user=user, roles=["resident"], is_active=False)
    found = user_with_membership_here(user.pk, tenant_id=tenant_a.pk)
    assert found is not None and _fields(found) == _fields(User.objects.get(pk=user.pk))
    here = membership_of_signed_in(user=found, tenant=tenant_a)
    assert here is not None and here.user is found
    assert _fields(here) == _fields(Membership.objects.get(user=user, tenant=tenant_a))
    on_b = user_with_membership_here(user.pk, tenant_id=tenant_b.pk)  # inactive there: no membership
    assert on_b is not None
    with CaptureQueriesContext(connection) as asked:
        assert membership_of_signed_in(user=on_b, tenant=tenant_b) is None
    assert not asked.captured_queries  # remembered from the read, not asked again
    assert user_with_membership_here(user.pk + 10_000, tenant_id=tenant_a.pk) is None
    assert user_with_membership_here("not a number", tenant_id=tenant_a.pk) is None


def test_an_expired_token_or_one_of_an_inactive_user_is_refused(tenant_a, member, client_for):
    user = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    token, raw = api_token_issue(user=user)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    connection.set_schema_to_public()
    assert client_for(tenant_a).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    connection.set_tenant(tenant_a)
    _token, raw = api_token_issue(user=user)
    connection.set_schema_to_public()
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client_for(tenant_a).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401

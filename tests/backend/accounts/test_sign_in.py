"""Signing in: e-mail or phone, rate limiting, hand-off from sign-up, and company isolation of sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.accounts.models import LoginHandoff
from backend.accounts.services import login_handoff_consume, login_handoff_create

PASSWORD = "Test-pass-2026!"


@pytest.mark.parametrize("username", ["zhao@example.test", "ZHAO@example.test", "13612345678", "+86 136 1234 5678"])
def test_member_signs_in_with_email_or_phone(tenant_a, member, client_for, username):
    member(tenant_a, ["finance"], email="zhao@example.test", phone="13612345678")
    client = client_for(tenant_a)
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_wrong_password_gets_a_field_error(tenant_a, member, client_for):
    member(tenant_a, ["finance"], email="zhao@example.test")
    response = client_for(tenant_a).post("/login/", {"username": "zhao@example.test", "password": "nope"})
    assert response.status_code == 400
    assert 'data-error-for="password"' in response.content.decode()


def test_sign_in_is_refused_after_repeated_failures_even_with_the_right_password(tenant_a, member, client_for):
    member(tenant_a, ["finance"], email="zhao@example.test")
    client = client_for(tenant_a)
    for _ in range(5):
        client.post("/login/", {"username": "zhao@example.test", "password": "wrong"})
    locked = client.post("/login/", {"username": "zhao@example.test", "password": PASSWORD})
    assert locked.status_code == 429
    assert client.get("/staff/").status_code == 302  # still signed out


def test_token_endpoint_is_rate_limited_too(tenant_a, member, client_for):
    member(tenant_a, ["finance"], email="zhao@example.test")
    client = client_for(tenant_a)
    for _ in range(5):
        client.post(
            "/api/v1/auth/token/",
            {"username": "zhao@example.test", "password": "wrong"},
            content_type="application/json",
        )
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "zhao@example.test", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "login_locked"


def test_non_member_cannot_sign_in_on_a_company(tenant_a, tenant_b, member, client_for):
    member(tenant_b, ["finance"], email="only-b@example.test")
    response = client_for(tenant_a).post("/login/", {"username": "only-b@example.test", "password": PASSWORD})
    assert response.status_code == 400
    assert "not a member" in response.content.decode() or "不是" in response.content.decode()


def test_a_session_on_company_a_gives_nothing_on_company_b_even_for_a_member_of_both(
    tenant_a, tenant_b, member, client_for
):
    from backend.accounts.models import Membership

    user = member(tenant_a, ["company_admin"], email="both@example.test")
    Membership.objects.create(user=user, tenant=tenant_b, roles=["company_admin"])
    client_a = client_for(tenant_a)
    assert client_a.post("/login/", {"username": "both@example.test", "password": PASSWORD}).status_code == 302
    session_cookie = client_a.cookies["sessionid"].value

    # The same cookie presented to company B (e.g. copied, or a parent-domain cookie) is nobody there.
    client_b = client_for(tenant_b)
    client_b.cookies["sessionid"] = session_cookie
    assert client_b.get("/staff/").status_code == 302
    assert client_b.get("/api/v1/me/").status_code in (401, 403)
    # until they sign in there
    assert client_b.post("/login/", {"username": "both@example.test", "password": PASSWORD}).status_code == 302
    assert client_b.get("/api/v1/me/").json()["tenant"] == "beta"


def test_an_api_token_from_company_a_is_refused_on_company_b(tenant_a, tenant_b, member, client_for):
    from backend.accounts.models import Membership

    user = member(tenant_a, ["company_admin"], email="both@example.test")
    Membership.objects.create(user=user, tenant=tenant_b, roles=["company_admin"])
    token = (
        client_for(tenant_a)
        .post(
            "/api/v1/auth/token/",
            {"username": "both@example.test", "password": PASSWORD},
            content_type="application/json",
        )
        .json()["token"]
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    me = client_for(tenant_a).get("/api/v1/me/", **auth)
    assert me.status_code == 200 and me.json()["tenant"] == "alpha"
    assert client_for(tenant_b).get("/api/v1/me/", **auth).status_code == 401


def test_revoking_a_membership_ends_the_session_and_tokens(tenant_a, member, client_for):
    from backend.accounts.models import Membership

    user = member(tenant_a, ["finance"], email="leaver@example.test")
    client = client_for(tenant_a)
    client.post("/login/", {"username": "leaver@example.test", "password": PASSWORD})
    assert client.get("/staff/").status_code == 200
    Membership.objects.filter(user=user).update(is_active=False)
    assert client.get("/staff/").status_code == 302
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_handoff_ticket_signs_in_once_on_its_own_company_only(tenant_a, tenant_b, member, client_for):
    user = member(tenant_a, ["company_admin"])
    ticket = login_handoff_create(user=user, tenant=tenant_a)
    assert login_handoff_consume(raw_token=ticket, tenant=tenant_b) is None  # wrong company: spent, refused

    ticket = login_handoff_create(user=user, tenant=tenant_a)
    client = client_for(tenant_a)
    response = client.get(f"/handoff/{ticket}/?next=/staff/")
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200

    replay = client_for(tenant_a).get(f"/handoff/{ticket}/")
    assert replay.status_code == 302 and replay["Location"] == "/login/"


def test_expired_handoff_ticket_is_refused(tenant_a, member):
    user = member(tenant_a, ["company_admin"])
    ticket = login_handoff_create(user=user, tenant=tenant_a)
    LoginHandoff.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert login_handoff_consume(raw_token=ticket, tenant=tenant_a) is None


def test_handoff_next_cannot_redirect_off_site(tenant_a, member, client_for):
    user = member(tenant_a, ["company_admin"])
    ticket = login_handoff_create(user=user, tenant=tenant_a)
    response = client_for(tenant_a).get(f"/handoff/{ticket}/?next=https://evil.example/")
    assert response["Location"] == "/staff/"


def test_password_reset_by_email_for_members_only(tenant_a, tenant_b, member, client_for, mailoutbox):
    import re

    forgetful = member(tenant_a, ["finance"], email="forgot@example.test")
    member(tenant_b, ["finance"], email="other@example.test")
    client = client_for(tenant_a)
    assert client.post("/password-reset/", {"email": "other@example.test"}).status_code == 302
    assert len(mailoutbox) == 0  # not a member of alpha: nothing sent (and the page says the same)

    client.post("/password-reset/", {"email": "forgot@example.test"})
    assert len(mailoutbox) == 1
    link = re.search(r"http://alpha\.localhost(/password-reset/\S+/)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "Brand-new-2026", "new_password2": "Brand-new-2026"})
    assert done.status_code == 302
    assert client.post("/login/", {"username": "forgot@example.test", "password": "Brand-new-2026"}).status_code == 302
    from django.db import connection

    from backend.audit.models import AuditEntry

    connection.set_tenant(tenant_a)
    assert AuditEntry.objects.filter(action="password.reset", object_id=str(forgetful.pk)).count() == 1


def test_platform_operators_admin_lives_on_the_platform_domain_only(tenant_a, client_for, platform_client):
    assert platform_client.get("/operator/").status_code == 302  # to the operators' sign-in
    assert client_for(tenant_a).get("/operator/").status_code == 404


def test_a_platform_operator_is_nobody_in_a_company_without_a_membership(tenant_a, client_for):
    from backend.accounts.models import User

    User.objects.create_superuser("ops@platform.test", "Ops-pass-2026!", name="运营")
    response = client_for(tenant_a).post("/login/", {"username": "ops@platform.test", "password": "Ops-pass-2026!"})
    assert response.status_code == 400
    assert client_for(tenant_a).get("/api/v1/me/").status_code == 401


def test_company_staff_cannot_use_the_operators_admin(tenant_a, member, platform_client):
    member(tenant_a, ["company_admin"], email="boss@example.test")
    platform_client.post("/operator/login/", {"username": "boss@example.test", "password": PASSWORD})
    assert platform_client.get("/operator/tenants/tenant/").status_code == 302  # still sent to sign-in

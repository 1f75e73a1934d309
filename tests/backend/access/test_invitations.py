"""Staff join by invitation link: expiring, single-use, revocable; existing accounts confirm with a password."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.utils import timezone

from backend.access.models import Invitation
from backend.accounts.models import Membership, User
from backend.notifications.models import Notification

PASSWORD = "Test-pass-2026!"


def invite(client, email="new.colleague@example.test", roles=("finance",), name="钱会计"):
    response = client.post("/staff/members/", {"email": email, "name": name, "roles": list(roles)})
    assert response.status_code == 200, response.content.decode()[:500]
    return re.search(r"data-invite-link>([^<]+)<", response.content.decode()).group(1)


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_admin_invites_a_colleague_who_creates_an_account_and_lands_signed_in(
    tenant_a, member, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    admin = member(tenant_a, ["company_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        link = invite(client_for(tenant_a, admin))
    assert link.startswith("http://alpha.localhost/invite/")
    assert len(mailoutbox) == 1 and link in mailoutbox[0].body and mailoutbox[0].to == ["new.colleague@example.test"]

    colleague = client_for(tenant_a)
    page = colleague.get(path_of(link))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        accepted = colleague.post(path_of(link), {"name": "钱会计", "phone": "13512345678", "password": "Qian-2026-ok"})
    assert accepted.status_code == 302 and accepted["Location"] == "/staff/"
    user = User.objects.get(email="new.colleague@example.test")
    assert Membership.objects.get(user=user, tenant=tenant_a).roles == ["finance"]
    assert colleague.get("/staff/").status_code == 200
    connection.set_tenant(tenant_a)
    assert Notification.objects.filter(recipient=admin, kind="invitation.accepted").count() == 1


def test_an_invitation_link_works_once(tenant_a, member, client_for):
    admin = member(tenant_a, ["company_admin"])
    link = path_of(invite(client_for(tenant_a, admin)))
    client_for(tenant_a).post(link, {"name": "钱", "phone": "", "password": "Qian-2026-ok"})
    second = client_for(tenant_a).post(link, {"name": "冒名", "phone": "", "password": "Other-2026-ok"})
    assert second.status_code == 410
    assert Membership.objects.filter(tenant=tenant_a, user__email="new.colleague@example.test").count() == 1


def test_an_expired_invitation_is_refused(tenant_a, member, client_for):
    admin = member(tenant_a, ["company_admin"])
    link = path_of(invite(client_for(tenant_a, admin)))
    connection.set_tenant(tenant_a)
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = client_for(tenant_a).post(link, {"name": "钱", "password": "Qian-2026-ok"})
    assert response.status_code == 410
    assert not User.objects.filter(email="new.colleague@example.test").exists()


def test_a_withdrawn_invitation_is_refused(tenant_a, member, client_for):
    admin = member(tenant_a, ["company_admin"])
    admin_client = client_for(tenant_a, admin)
    link = path_of(invite(admin_client))
    connection.set_tenant(tenant_a)
    pk = Invitation.objects.get().pk
    assert admin_client.post(f"/staff/invitations/{pk}/withdraw/").status_code == 302
    assert client_for(tenant_a).get(link).status_code == 410


def test_an_invitation_link_of_company_a_means_nothing_on_company_b(tenant_a, tenant_b, member, client_for):
    admin = member(tenant_a, ["company_admin"])
    link = path_of(invite(client_for(tenant_a, admin)))
    assert client_for(tenant_b).get(link).status_code == 404


def test_someone_with_an_account_elsewhere_accepts_with_their_password(tenant_a, tenant_b, member, client_for):
    member(tenant_b, ["finance"], email="moving@example.test")
    admin = member(tenant_a, ["company_admin"])
    link = path_of(invite(client_for(tenant_a, admin), email="moving@example.test", roles=["customer_service"]))
    client = client_for(tenant_a)
    assert client.post(link, {"password": "wrong"}).status_code == 400
    assert client.post(link, {"password": PASSWORD}).status_code == 302
    assert Membership.objects.get(tenant=tenant_a, user__email="moving@example.test").roles == ["customer_service"]
    assert Membership.objects.get(tenant=tenant_b, user__email="moving@example.test").roles == ["finance"]


def test_admin_can_invite_a_resident_too(tenant_a, member, client_for):
    admin = member(tenant_a, ["company_admin"])
    link = path_of(invite(client_for(tenant_a, admin), email="res@example.test", roles=["resident"]))
    response = client_for(tenant_a).post(link, {"name": "孙业主", "phone": "", "password": "Sun-2026-home"})
    assert response["Location"] == "/resident/"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"email": "nope", "roles": ["finance"]}, "email"),
        ({"email": "x@example.test", "roles": []}, "roles"),
        ({"email": "x@example.test", "roles": ["overlord"]}, "roles"),
    ],
)
def test_invitation_form_errors_name_the_field(tenant_a, member, client_for, data, field):
    admin = member(tenant_a, ["company_admin"])
    response = client_for(tenant_a, admin).post("/staff/members/", data)
    assert response.status_code == 400
    assert f'data-error-for="{field}"' in response.content.decode()
    connection.set_tenant(tenant_a)
    assert not Invitation.objects.exists()


def test_residents_sign_up_on_the_company_portal(tenant_a, client_for):
    client = client_for(tenant_a)
    response = client.post(
        "/signup/",
        {"name": "周住户", "phone": "13787654321", "email": "", "password": "Zhou-2026-home", "privacy_accepted": "on"},
    )
    assert response.status_code == 302 and response["Location"] == "/resident/"
    user = User.objects.get(phone="13787654321")
    assert Membership.objects.get(user=user, tenant=tenant_a).roles == ["resident"]
    assert client.get("/resident/").status_code == 200
    assert client.get("/staff/").status_code == 403


def test_resident_sign_up_errors(tenant_a, client_for):
    response = client_for(tenant_a).post("/signup/", {"name": "", "phone": "123", "password": "1"})
    assert response.status_code == 400
    body = response.content.decode()
    for field in ("name", "phone", "password"):
        assert f'data-error-for="{field}"' in body

"""The desk's API: a walk-in guest's booking paid at the desk (once; not for a home's booking), the homes
suspended for no-shows and lifting one early (audited; another office's is not found), and the club settings
(read by club staff, changed by company admins only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.accounts.models import Membership
from backend.audit.models import AuditEntry
from backend.club import booking as engine
from backend.club.models import Booking, BookingSuspension, ClubSettings
from tenants.db import connection

from .conftest import SHANGHAI, Club

pytestmark = pytest.mark.django_db


def soon(days: int, hhmm: str) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    day = timezone.localdate(timezone=SHANGHAI) + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def desk(world: Club, member: Any, tenant_a: Any, client_for: Any) -> tuple[Any, Any]:
    clerk = member(tenant_a, ["customer_service"])
    client = client_for(tenant_a, clerk)
    connection.set_tenant(tenant_a)
    return clerk, client


def post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def test_a_guest_pays_at_the_desk_once_and_a_homes_booking_cannot(world: Club, desk: Any) -> None:
    clerk, client = desk
    guest = engine.booking_create_by_staff(
        facility=world.court, by=clerk, starts_at=soon(2, "10:00"), ends_at=soon(2, "11:00"), guest_name="访客张三"
    )
    assert guest.paid_at is None and guest.price_fen == 6000
    bad = post(client, f"/api/v1/club/bookings/{guest.pk}/guest-paid/", {"method": "bitcoin"})
    assert bad.status_code == 400 and "method" in bad.json()["error"]["fields"]
    paid = post(client, f"/api/v1/club/bookings/{guest.pk}/guest-paid/", {"method": "pos"})
    assert paid.status_code == 200, paid.content[:300]
    assert Booking.objects.get(pk=guest.pk).paid_at is not None
    assert post(client, f"/api/v1/club/bookings/{guest.pk}/guest-paid/", {"method": "pos"}).status_code == 409
    home = engine.booking_create_by_staff(
        facility=world.court, by=clerk, starts_at=soon(3, "10:00"), ends_at=soon(3, "11:00"), unit=world.home
    )
    assert post(client, f"/api/v1/club/bookings/{home.pk}/guest-paid/", {"method": "cash"}).status_code in (400, 409)


def test_suspensions_are_listed_and_lifted_within_the_callers_scope(
    world: Club, desk: Any, member: Any, tenant_a: Any, client_for: Any
) -> None:
    _clerk, client = desk
    until = timezone.now() + dt.timedelta(days=5)
    mine = BookingSuspension.objects.create(unit=world.home, until=until, reason="3 次未到场")
    theirs = BookingSuspension.objects.create(unit=world.other_units[0], until=until, reason="3 次未到场")
    listed = client.get("/api/v1/club/suspensions/").json()["results"]
    assert {s["id"] for s in listed} == {mine.pk, theirs.pk}
    lifted = post(client, f"/api/v1/club/suspensions/{mine.pk}/lift/", {"reason": "已核实，系误记"})
    assert lifted.status_code == 200 and lifted.json()["lifted_at"]
    assert AuditEntry.objects.filter(object_id=str(mine.pk), action__contains="suspension").exists()
    # Lifted, it is no longer in force: not listed, and not found to lift again.
    assert post(client, f"/api/v1/club/suspensions/{mine.pk}/lift/", {}).status_code == 404
    # Staff of the other office see (and may lift) only their homes' suspensions.
    other = member(tenant_a, ["customer_service"])
    Membership.objects.filter(user=other, tenant=tenant_a).update(
        scope_all=False, scope_office_ids=[world.other_office.pk]
    )
    connection.set_tenant(tenant_a)
    elsewhere = client_for(tenant_a, other)
    connection.set_tenant(tenant_a)
    again = BookingSuspension.objects.create(unit=world.home, until=until, reason="再次未到场")
    assert {s["id"] for s in elsewhere.get("/api/v1/club/suspensions/").json()["results"]} == {theirs.pk}
    assert post(elsewhere, f"/api/v1/club/suspensions/{again.pk}/lift/", {}).status_code == 404


def test_club_settings_are_read_by_club_staff_and_changed_by_admins(
    world: Club, desk: Any, member: Any, tenant_a: Any, client_for: Any
) -> None:
    _clerk, client = desk
    assert client.get("/api/v1/club/settings/").json() == {"charge_to_account": False}
    assert (
        client.put("/api/v1/club/settings/", {"charge_to_account": True}, content_type="application/json").status_code
        == 403
    )
    admin = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    connection.set_tenant(tenant_a)
    bad = admin.put("/api/v1/club/settings/", {"charge_to_account": "maybe"}, content_type="application/json")
    assert bad.status_code == 400
    done = admin.put("/api/v1/club/settings/", {"charge_to_account": True}, content_type="application/json")
    assert done.status_code == 200 and done.json() == {"charge_to_account": True}
    assert ClubSettings.load().charge_to_account is True
    assert AuditEntry.objects.filter(action="club.settings_update").exists()


def test_another_company_sees_no_suspension_and_keeps_its_own_settings(
    world: Club, member: Any, tenant_a: Any, tenant_b: Any, client_for: Any
) -> None:
    BookingSuspension.objects.create(unit=world.home, until=timezone.now() + dt.timedelta(days=5), reason="x")
    admin = client_for(tenant_b, member(tenant_b, ["company_admin"]))
    assert admin.get("/api/v1/club/suspensions/").json()["results"] == []
    assert (
        admin.put("/api/v1/club/settings/", {"charge_to_account": True}, content_type="application/json").status_code
        == 200
    )
    connection.set_tenant(tenant_a)
    assert ClubSettings.load().charge_to_account is False

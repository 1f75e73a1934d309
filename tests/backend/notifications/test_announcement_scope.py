"""Announcements stay within the publisher's data scope: a publisher scoped to one office addresses, sees
(with who read it) and withdraws only what is addressed to estates and buildings of that office. The whole
company and roles (found company-wide) need a company-wide scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.accounts.models import Membership
from backend.errors import ApplicationError
from backend.notifications import announcements as ann
from backend.notifications.models import Announcement, Notification
from backend.properties import services as registry
from backend.properties.models import Person, Unit
from backend.properties.scope import Scope
from tenants.db import connection

from .conftest import EVERYTHING


@pytest.fixture
def two_offices(estate_with_residents: dict[str, Any], tenant_a: Any, member: Any, client_for: Any) -> dict[str, Any]:
    """estate_with_residents (office A) plus office B with an estate, a building and a resident; a customer
    service publisher scoped to office A with a signed-in client."""
    e = dict(estate_with_residents)
    office_b = registry.office_create(name="乙方管理处", scope=EVERYTHING)
    estate_b = registry.estate_create(office_id=office_b.pk, name="乙方小区", scope=EVERYTHING)
    building_b = registry.building_create(estate_id=estate_b.pk, name="乙1栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building_b.pk, first_floor=1, last_floor=1, units_per_floor=1, area="80", scope=EVERYTHING
    )
    resident_b = member(tenant_a, ["resident"])
    connection.set_tenant(tenant_a)
    registry.occupancy_move_in(
        unit_id=Unit.objects.get(building=building_b).pk,
        person=Person.objects.create(name=resident_b.name, user=resident_b),
        role="owner",
        start_date=dt.date(2024, 1, 1),
        scope=EVERYTHING,
    )
    publisher = member(tenant_a, ["customer_service"])
    office_a = e["estate"].office_id
    Membership.objects.filter(user=publisher, tenant=tenant_a).update(scope_all=False, scope_office_ids=[office_a])
    client = client_for(tenant_a, publisher)
    connection.set_tenant(tenant_a)
    e.update(
        office_b=office_b,
        estate_b=estate_b,
        building_b=building_b,
        resident_b=resident_b,
        publisher=publisher,
        client=client,
        scope=Scope(all_offices=False, office_ids=frozenset({office_a})),
    )
    return e


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ({"target_all": True}, "target_all"),
        ({"roles": ["resident"]}, "roles"),
        ({"estate_ids": "estate_b"}, "estate_ids"),
        ({"building_ids": "building_b"}, "building_ids"),
    ],
)
def test_a_scoped_publisher_cannot_address_beyond_their_scope(
    two_offices: dict[str, Any], tenant_a: Any, target: dict[str, Any], field: str
) -> None:
    e = two_offices
    body = {"title": "停电通知", "body": "周六停电", **target}
    for key in ("estate_ids", "building_ids"):
        if key in body:
            body[key] = [e[body[key]].pk]
    response = e["client"].post("/api/v1/announcements/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["error"]["fields"]
    connection.set_tenant(tenant_a)
    with pytest.raises(ApplicationError) as caught:
        ann.announcement_create(by=e["publisher"], scope=e["scope"], **body)
    assert field in caught.value.fields
    assert not Announcement.objects.exists() and not Notification.objects.filter(kind="announcement").exists()


def test_the_portal_refuses_the_whole_company_to_a_scoped_publisher_with_a_field_error(
    two_offices: dict[str, Any], tenant_a: Any
) -> None:
    client = two_offices["client"]
    response = client.post("/staff/announcements/", {"title": "全体通知", "body": "x", "target_all": "on"})
    assert response.status_code == 400
    assert 'data-error-for="target_all"' in response.content.decode()
    response = client.post(
        "/staff/announcements/", {"title": "乙方通知", "body": "x", "estate_ids": [str(two_offices["estate_b"].pk)]}
    )
    assert response.status_code == 400 and 'data-error-for="estate_ids"' in response.content.decode()
    connection.set_tenant(tenant_a)
    assert not Announcement.objects.exists()


def test_a_scoped_publisher_addresses_their_own_estates(two_offices: dict[str, Any], tenant_a: Any) -> None:
    e = two_offices
    body = {"title": "电梯保养", "body": "周六保养", "estate_ids": [e["estate"].pk]}
    response = e["client"].post("/api/v1/announcements/", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    assert response.json()["recipients_count"] == 2
    connection.set_tenant(tenant_a)
    assert not Notification.objects.filter(recipient=e["resident_b"]).exists()


def test_announcements_beyond_ones_scope_cannot_be_seen_or_withdrawn(
    two_offices: dict[str, Any], tenant_a: Any, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    e = two_offices

    def publish(title: str, **target: Any) -> Announcement:
        # by a company-wide author: the service checks the scope it is given
        return ann.announcement_create(title=title, body="x", by=e["finance"], scope=EVERYTHING, **target)

    to_b = publish("乙方停水", estate_ids=[e["estate_b"].pk])
    to_all = publish("全体", target_all=True)
    to_staff = publish("工程部", roles=["engineer"])
    own = publish("甲方停水", building_ids=[e["b1"].pk])
    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "poster.png").write_bytes(b"poster")
    Announcement.objects.filter(pk=to_b.pk).update(image="poster.png")
    client = e["client"]
    for a in (to_b, to_all, to_staff):
        assert client.get(f"/staff/announcements/{a.pk}/").status_code == 404, a.title
        assert client.post(f"/staff/announcements/{a.pk}/", {"withdraw": "1"}).status_code == 404, a.title
        connection.set_tenant(tenant_a)
        with pytest.raises(ApplicationError) as caught:
            ann.announcement_withdraw(announcement=a, scope=e["scope"])
        assert caught.value.status == 404
    assert client.get(f"/announcements/{to_b.pk}/image/").status_code == 404
    connection.set_tenant(tenant_a)
    assert set(Announcement.objects.values_list("status", flat=True)) == {Announcement.Status.PUBLISHED}
    staff_page = client.get("/staff/announcements/").content.decode()
    assert "甲方停水" in staff_page and "乙方停水" not in staff_page and "工程部" not in staff_page
    # The API lists what they manage and what they were sent (the company-wide one reached them too).
    listed = {a["title"] for a in client.get("/api/v1/announcements/").json()["results"]}
    assert listed == {"甲方停水", "全体"}
    # Their own office's announcement they may withdraw; a company-wide publisher may withdraw any.
    assert client.post(f"/staff/announcements/{own.pk}/", {"withdraw": "1"}).status_code == 302
    connection.set_tenant(tenant_a)
    ann.announcement_withdraw(announcement=to_b, scope=EVERYTHING)
    assert dict(Announcement.objects.values_list("title", "status"))["甲方停水"] == Announcement.Status.WITHDRAWN
    assert Announcement.objects.get(pk=to_b.pk).status == Announcement.Status.WITHDRAWN

"""The desk API: residents see their homes' tickets and report; staff see their scope and their queues;
another office's ticket is a 404 for scoped staff, a neighbour's for a resident, another company's for
everyone; the steps check who may take them."""

from __future__ import annotations

from typing import Any

from backend.desk import services as desk
from backend.desk.models import Status, Ticket
from backend.properties import services as registry
from backend.properties.models import Unit
from tenants.db import connection

from .conftest import EVERYTHING, Desk


def _report(world: Desk, user: Any, unit: Unit) -> Ticket:
    return desk.ticket_report(
        user=user, unit_id=unit.pk, category=world.plumbing, description="漏水", contact_phone="13900000009"
    )


def _other_office_ticket(world: Desk) -> Ticket:
    return desk.ticket_intake(
        by=world.supervisor,
        scope=EVERYTHING,
        category=world.plumbing,
        channel="phone",
        unit_id=world.other_units[0].pk,
        description="漏水",
        contact_name="赵",
        contact_phone="13900000010",
    )


def _other_company_ticket(tenant_b: Any) -> int:
    connection.set_tenant(tenant_b)
    office = registry.office_create(name="贝塔管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="贝塔苑", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="9栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="80", scope=EVERYTHING
    )
    unit = Unit.objects.get(building=building)
    category = desk.category_save(code="plumbing", name="水管")
    pk = desk.ticket_intake(
        by=None,  # type: ignore[arg-type]
        scope=EVERYTHING,
        category=category,
        channel="walk_in",
        unit_id=unit.pk,
        description="漏水",
        contact_name="贝",
        contact_phone="1",
    ).pk
    return pk


def test_resident_sees_own_home_only_and_reports(world: Desk, client_for: Any, tenant_a: Any) -> None:
    mine, neighbours = _report(world, world.resident, world.home), _report(world, world.neighbour, world.units[1])
    client = client_for(tenant_a, world.resident)
    listed = client.get("/api/v1/desk/tickets/").json()["results"]
    assert [t["id"] for t in listed] == [mine.pk]
    assert client.get(f"/api/v1/desk/tickets/{mine.pk}/").json()["events"][0]["kind"] == "reported"
    assert client.get(f"/api/v1/desk/tickets/{neighbours.pk}/").status_code == 404
    assert client.get("/api/v1/desk/tickets/?queue=mine").status_code == 400
    created = client.post(
        "/api/v1/desk/tickets/",
        {"category": world.electrical.pk, "unit": world.home.pk, "description": "插座没电", "contact_phone": "139"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["paid"] is True and created.json()["status"] == "new"
    refused = client.post(
        "/api/v1/desk/tickets/",
        {"category": world.plumbing.pk, "unit": world.units[1].pk, "description": "x", "contact_phone": "1"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "unit" in refused.json()["error"]["fields"]
    # Someone else's step is refused; their own cancel works.
    step = client.post(f"/api/v1/desk/tickets/{mine.pk}/steps/", {"step": "accept"}, content_type="application/json")
    assert step.status_code == 403
    step = client.post(
        f"/api/v1/desk/tickets/{neighbours.pk}/steps/",
        {"step": "cancel", "reason": "不修了"},
        content_type="application/json",
    )
    assert step.status_code == 404
    step = client.post(
        f"/api/v1/desk/tickets/{mine.pk}/steps/",
        {"step": "cancel", "reason": "不修了"},
        content_type="application/json",
    )
    assert step.status_code == 200 and step.json()["status"] == "cancelled"


def test_scoped_staff_see_their_office_and_another_company_is_404(
    world: Desk, client_for: Any, tenant_a: Any, tenant_b: Any
) -> None:
    ours, theirs = _report(world, world.resident, world.home), _other_office_ticket(world)
    beta = _other_company_ticket(tenant_b)
    connection.set_tenant(tenant_a)
    for user in (world.supervisor, world.engineer):
        client = client_for(tenant_a, user)
        assert [t["id"] for t in client.get("/api/v1/desk/tickets/").json()["results"]] == [ours.pk]
        assert client.get(f"/api/v1/desk/tickets/{theirs.pk}/").status_code == 404
        assert client.get(f"/api/v1/desk/tickets/{beta}/").status_code in (404,)
    other = client_for(tenant_a, world.other_supervisor)
    assert [t["id"] for t in other.get("/api/v1/desk/tickets/").json()["results"]] == [theirs.pk]
    assert other.get(f"/api/v1/desk/tickets/{ours.pk}/").status_code == 404


def test_queues_and_steps_through_the_api(world: Desk, client_for: Any, tenant_a: Any) -> None:
    first, second = _report(world, world.resident, world.home), _report(world, world.resident, world.home)
    supervisor, engineer = client_for(tenant_a, world.supervisor), client_for(tenant_a, world.engineer)
    pool = engineer.get("/api/v1/desk/tickets/?queue=pool").json()["results"]
    assert {t["id"] for t in pool} == {first.pk, second.pk}
    # An engineer cannot dispatch; customer service cannot take an engineer's step.
    body = {"step": "assign", "engineer": world.engineer.pk}
    assert (
        engineer.post(f"/api/v1/desk/tickets/{first.pk}/steps/", body, content_type="application/json").status_code
        == 403
    )
    assigned = supervisor.post(f"/api/v1/desk/tickets/{first.pk}/steps/", body, content_type="application/json")
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    accept = {"step": "accept"}
    assert (
        supervisor.post(f"/api/v1/desk/tickets/{first.pk}/steps/", accept, content_type="application/json").status_code
        == 403
    )
    assert (
        engineer.post(f"/api/v1/desk/tickets/{first.pk}/steps/", accept, content_type="application/json").status_code
        == 200
    )
    grab = engineer.post(f"/api/v1/desk/tickets/{second.pk}/steps/", {"step": "grab"}, content_type="application/json")
    assert grab.json()["status"] == "accepted"
    again = engineer.post(f"/api/v1/desk/tickets/{second.pk}/steps/", {"step": "grab"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    mine = engineer.get("/api/v1/desk/tickets/?queue=mine").json()["results"]
    assert {t["id"] for t in mine} == {first.pk, second.pk}
    Ticket.objects.filter(pk=second.pk).update(breached=True)
    team = supervisor.get("/api/v1/desk/tickets/?queue=team").json()["results"]
    assert [t["id"] for t in team][0] == second.pk  # breaches first
    assert Ticket.objects.get(pk=first.pk).status == Status.ACCEPTED

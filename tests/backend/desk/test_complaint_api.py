"""The complaints and surveys API: a resident files and sees only their own; customer service of 西湖 sees
西湖's, takes, escalates, resolves and revisits; 滨江's staff get 404 for 西湖's; another company's ids are 404;
the queues are staff's; the steps check who may take them; a survey is answered through the API and read back
by estate."""

from __future__ import annotations

from typing import Any

from backend.desk import complaints as cx
from backend.desk import surveys
from backend.desk.complaint_models import Complaint
from backend.properties import services as registry
from backend.properties.models import Unit
from tenants.db import connection

from .conftest import EVERYTHING, Desk

JSON = "application/json"


def _file(world: Desk, user: Any, unit: Unit) -> Complaint:
    return cx.complaint_file(user=user, unit_id=unit.pk, cause="noise", description="楼上太吵", contact_phone="1")


def _other_company_complaint(tenant_b: Any) -> int:
    connection.set_tenant(tenant_b)
    office = registry.office_create(name="贝塔管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="贝塔苑", scope=EVERYTHING)
    return cx.complaint_intake(
        by=None,  # type: ignore[arg-type]
        scope=EVERYTHING,
        channel="letter",
        severity="minor",
        cause="fees",
        description="物业费",
        contact_name="贝",
        contact_phone="1",
        estate_id=estate.pk,
        location="大门",
    ).pk


def test_resident_files_and_sees_only_their_own(world: Desk, client_for: Any, tenant_a: Any) -> None:
    client = client_for(tenant_a, world.resident)
    created = client.post(
        "/api/v1/desk/complaints/",
        {"cause": "cleaning", "description": "垃圾没清", "unit": world.home.pk, "contact_phone": "139"},
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["severity"] == "minor" and body["channel"] == "app" and body["resolve_due"]
    neighbours = _file(world, world.neighbour, world.units[1])
    listed = client.get("/api/v1/desk/complaints/").json()["results"]
    assert [c["id"] for c in listed] == [body["id"]]
    assert client.get(f"/api/v1/desk/complaints/{neighbours.pk}/").status_code == 404
    assert client.get(f"/api/v1/desk/complaints/{body['id']}/").json()["events"][0]["kind"] == "filed"
    assert client.get("/api/v1/desk/complaints/?queue=team").status_code == 400
    refused = client.post(
        "/api/v1/desk/complaints/",
        {"cause": "noise", "description": "吵", "unit": world.units[1].pk},
        content_type=JSON,
    )
    assert refused.status_code == 400 and "unit" in refused.json()["error"]["fields"]
    # Staff's steps are refused; the neighbour's complaint is not found; their own withdraw works.
    url = f"/api/v1/desk/complaints/{body['id']}/steps/"
    assert client.post(url, {"step": "take"}, content_type=JSON).status_code == 403
    assert (
        client.post(
            f"/api/v1/desk/complaints/{neighbours.pk}/steps/", {"step": "withdraw", "reason": "x"}, content_type=JSON
        ).status_code
        == 404
    )
    done = client.post(url, {"step": "withdraw", "reason": "解决了"}, content_type=JSON)
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    # Analysis is staff's.
    assert client.get("/api/v1/desk/complaints/analysis/").status_code == 403


def test_staff_work_a_complaint_through_the_api(world: Desk, client_for: Any, tenant_a: Any) -> None:
    mine = _file(world, world.resident, world.home)
    staff = client_for(tenant_a, world.supervisor)
    url = f"/api/v1/desk/complaints/{mine.pk}/steps/"
    assert [c["id"] for c in staff.get("/api/v1/desk/complaints/?queue=new").json()["results"]] == [mine.pk]
    assert staff.post(url, {"step": "take"}, content_type=JSON).json()["status"] == "in_progress"
    classified = staff.post(url, {"step": "classify", "severity": "major", "cause": "security"}, content_type=JSON)
    assert classified.status_code == 200 and classified.json()["escalate_due"] and classified.json()["answer_due"]
    escalated = staff.post(url, {"step": "escalate", "to": 2, "note": "呈送主任"}, content_type=JSON)
    assert escalated.json()["level"] == 2 and escalated.json()["escalated_at"]
    assert staff.post(url, {"step": "escalate", "to": 1, "note": "x"}, content_type=JSON).status_code == 400
    assert staff.post(url, {"step": "answer", "answer": "三天内加装门禁"}, content_type=JSON).json()["answered_at"]
    resolved = staff.post(
        url, {"step": "resolve", "outcome": "门禁已装", "told_via": "app", "root_cause": "门禁损坏"}, content_type=JSON
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    # Resolved: not again (409), and the complainant rates it through the API.
    assert (
        staff.post(url, {"step": "resolve", "outcome": "x", "told_via": "phone"}, content_type=JSON).status_code == 409
    )
    resident = client_for(tenant_a, world.resident)
    rated = resident.post(url, {"step": "rate", "score": 5, "comment": "很好"}, content_type=JSON)
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    closed = staff.post(url, {"step": "revisit", "satisfied": True, "note": "满意"}, content_type=JSON)
    assert closed.json()["status"] == "closed"
    analysis = staff.get("/api/v1/desk/complaints/analysis/").json()
    assert analysis["total"] >= 0 and {r["key"] for r in analysis["by_cause"]} >= {"security"}


def test_other_offices_staff_and_another_company_get_404(
    world: Desk, client_for: Any, tenant_a: Any, tenant_b: Any
) -> None:
    ours = _file(world, world.resident, world.home)
    beta = _other_company_complaint(tenant_b)
    connection.set_tenant(tenant_a)
    other = client_for(tenant_a, world.other_supervisor)
    assert other.get("/api/v1/desk/complaints/").json()["results"] == []
    assert other.get(f"/api/v1/desk/complaints/{ours.pk}/").status_code == 404
    assert (
        other.post(f"/api/v1/desk/complaints/{ours.pk}/steps/", {"step": "take"}, content_type=JSON).status_code == 404
    )
    ours_staff = client_for(tenant_a, world.supervisor)
    assert ours_staff.get(f"/api/v1/desk/complaints/{beta}/").status_code == 404
    # Engineers do not handle complaints.
    assert client_for(tenant_a, world.engineer).get("/api/v1/desk/complaints/").status_code == 403


def test_surveys_through_the_api(world: Desk, client_for: Any, tenant_a: Any) -> None:
    staff = client_for(tenant_a, world.supervisor)
    created = staff.post(
        "/api/v1/desk/surveys/",
        {
            "title": "物业服务满意度",
            "estates": [world.estate.pk],
            "questions": [
                {"text": "总体满意度", "kind": "rating"},
                {"text": "建议", "kind": "text", "required": False},
            ],
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    survey = created.json()
    # 西湖's supervisor cannot send to 滨江.
    refused = staff.post(
        "/api/v1/desk/surveys/",
        {"title": "x", "estates": [world.other_estate.pk], "questions": [{"text": "q"}]},
        content_type=JSON,
    )
    assert refused.status_code == 400
    resident = client_for(tenant_a, world.resident)
    assert resident.get("/api/v1/desk/surveys/").json()["results"] == []  # a draft
    assert (
        staff.post(f"/api/v1/desk/surveys/{survey['id']}/steps/", {"step": "open"}, content_type=JSON).status_code
        == 200
    )
    assert [s["id"] for s in resident.get("/api/v1/desk/surveys/").json()["results"]] == [survey["id"]]
    question = survey["questions"][0]["id"]
    answered = resident.post(
        f"/api/v1/desk/surveys/{survey['id']}/answers/",
        {"unit": world.home.pk, "answers": [{"question": question, "value": "4"}]},
        content_type=JSON,
    )
    assert answered.status_code == 201, answered.content
    again = resident.post(
        f"/api/v1/desk/surveys/{survey['id']}/answers/",
        {"unit": world.home.pk, "answers": [{"question": question, "value": "5"}]},
        content_type=JSON,
    )
    assert again.status_code == 409
    results = staff.get(f"/api/v1/desk/surveys/{survey['id']}/results/").json()
    assert results["estates"][0]["responses"] == 1 and results["estates"][0]["average"] == 4.0
    assert resident.get(f"/api/v1/desk/surveys/{survey['id']}/results/").status_code == 403
    other = client_for(tenant_a, world.other_supervisor)
    assert other.get(f"/api/v1/desk/surveys/{survey['id']}/").status_code == 404
    assert surveys.survey_get(scope=EVERYTHING, survey_id=survey["id"]) is not None


def test_a_repairs_revisit_takes_the_rating_given_on_the_call(world: Desk, client_for: Any, tenant_a: Any) -> None:
    from backend.desk import services as desk
    from backend.desk.models import Rating

    from .conftest import photo

    ticket = desk.ticket_intake(
        by=world.supervisor,
        scope=world.scope,
        category=world.plumbing,
        channel="walk_in",
        unit_id=world.home.pk,
        description="门锁坏",
        contact_name="访客",
        contact_phone="1",
    )
    desk.ticket_assign(ticket=ticket, engineer=world.engineer, by=world.supervisor)
    desk.ticket_accept(ticket=ticket, engineer=world.engineer)
    desk.ticket_start(ticket=ticket, engineer=world.engineer)
    desk.ticket_finish(ticket=ticket, engineer=world.engineer, photos=[photo()])
    staff = client_for(tenant_a, world.supervisor)
    done = staff.post(
        f"/api/v1/desk/tickets/{ticket.pk}/steps/",
        {"step": "revisit", "fixed": True, "note": "满意", "rating": 4},
        content_type=JSON,
    )
    assert done.status_code == 200 and done.json()["rating"] == 4
    assert list(Rating.objects.filter(ticket=ticket).values_list("score", "via")) == [(4, "revisit")]

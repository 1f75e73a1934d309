"""The complaint and survey pages, through the real middleware: a resident complains on the phone page and
follows it to the outcome and rates it; customer service records a call, takes, escalates and resolves a
complaint on its page (timeline shown), revisits it; the queue puts breaches first; the cause analysis and the
satisfaction page draw their charts; a survey is drafted, sent, answered by a resident and read back by estate;
another office's complaint is a 404 and a neighbour's too."""

from __future__ import annotations

from typing import Any

from backend.desk import complaints as cx
from backend.desk.complaint_models import Complaint
from backend.desk.survey_models import Survey, SurveyResponse
from tests.backend.desk.conftest import Desk


def html(response: Any) -> str:
    return response.content.decode()


def test_resident_complains_follows_and_rates(world: Desk, client_for: Any, tenant_a: Any) -> None:
    client = client_for(tenant_a, world.resident)
    page = client.get("/resident/complaints/new/")
    assert page.status_code == 200 and "投诉" in html(page)  # zh-hans first
    response = client.post(
        "/resident/complaints/new/",
        {
            "unit": world.home.pk,
            "cause": "noise",
            "description": "楼上每晚装修到十一点",
            "wanted": "晚上十点后停工",
            "contact_phone": "13900000001",
        },
    )
    assert response.status_code == 302, html(response)[:2000]
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/resident/complaints/{complaint.pk}/"
    listed = html(client.get("/resident/complaints/"))
    assert complaint.code in listed
    cx.complaint_resolve(complaint=complaint, by=world.supervisor, outcome="已与装修户约定十点停工", told_via="app")
    detail = html(client.get(f"/resident/complaints/{complaint.pk}/"))
    assert "已与装修户约定十点停工" in detail and "data-rate-form" in detail
    rated = client.post(f"/resident/complaints/{complaint.pk}/rate/", {"score": "4"})
    assert rated.status_code == 302
    complaint.refresh_from_db()
    assert complaint.rating == 4
    # The neighbour finds none of it.
    neighbour = client_for(tenant_a, world.neighbour)
    assert neighbour.get(f"/resident/complaints/{complaint.pk}/").status_code == 404
    assert neighbour.post(f"/resident/complaints/{complaint.pk}/withdraw/").status_code == 404


def test_staff_record_take_escalate_resolve_and_revisit(world: Desk, client_for: Any, tenant_a: Any) -> None:
    staff = client_for(tenant_a, world.supervisor)
    response = staff.post(
        "/staff/desk/complaints/new/",
        {
            "channel": "phone",
            "severity": "major",
            "cause": "security",
            "unit": world.home.pk,
            "description": "车库门禁坏了一周,车辆被刮",
            "contact_name": "王业主",
            "contact_phone": "13900000001",
        },
    )
    assert response.status_code == 302, html(response)[:3000]
    complaint = Complaint.objects.get()
    url = f"/staff/desk/complaints/{complaint.pk}/"
    page = html(staff.get(url))
    assert 'data-clock="escalate"' in page and 'data-clock="answer"' in page and "data-escalate" in page
    for step, data in (
        ("take", {}),
        ("escalate", {"to": "2", "note": "重大投诉,呈送主任"}),
        ("answer", {"answer": "三天内修好门禁并协商赔偿"}),
        ("resolve", {"outcome": "门禁已修,赔偿已谈妥", "told_via": "phone", "root_cause": "门禁老化"}),
    ):
        assert staff.post(f"{url}{step}/", data).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and complaint.level == 2 and complaint.handler_id == world.supervisor.pk
    page = html(staff.get(url))
    for kind in ("filed", "assigned", "escalated", "answered", "resolved"):
        assert f'data-event="{kind}"' in page
    assert "data-revisit" in page
    staff.post(f"{url}revisit/", {"note": "业主满意", "satisfied": "1", "score": "5"})
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.rating == 5
    # 滨江's supervisor: not found.
    other = client_for(tenant_a, world.other_supervisor)
    assert other.get(url).status_code == 404
    assert other.post(f"{url}take/").status_code == 404
    # Engineers and residents do not open the complaint pages.
    assert client_for(tenant_a, world.engineer).get("/staff/desk/complaints/").status_code == 403


def test_queue_breaches_first_analysis_and_satisfaction_charts(world: Desk, client_for: Any, tenant_a: Any) -> None:
    first = cx.complaint_file(
        user=world.resident, unit_id=world.home.pk, cause="cleaning", description="垃圾", contact_phone="1"
    )
    late = cx.complaint_file(
        user=world.resident, unit_id=world.home.pk, cause="cleaning", description="又是垃圾", contact_phone="1"
    )
    Complaint.objects.filter(pk=late.pk).update(breached=True)
    staff = client_for(tenant_a, world.supervisor)
    page = html(staff.get("/staff/desk/complaints/?tab=team"))
    assert page.index(f'data-complaint="{late.pk}"') < page.index(f'data-complaint="{first.pk}"')
    analysis = html(staff.get("/staff/desk/complaints/analysis/"))
    assert 'data-chart="causes"' in analysis and 'data-cause="cleaning"' in analysis
    assert f'data-unit="{world.home.pk}"' in analysis  # the home complained about twice
    cx.complaint_resolve(complaint=first, by=world.supervisor, outcome="已清", told_via="app")
    cx.complaint_rate(complaint=first, user=world.resident, score=3)
    satisfaction = html(staff.get("/staff/desk/satisfaction/"))
    assert 'data-chart="satisfaction"' in satisfaction and f'data-estate="{world.estate.pk}"' in satisfaction


def test_a_survey_drafted_sent_answered_and_read_back(world: Desk, client_for: Any, tenant_a: Any) -> None:
    staff = client_for(tenant_a, world.supervisor)
    response = staff.post(
        "/staff/desk/surveys/new/",
        {
            "title": "2030年满意度调查",
            "estates": [str(world.estate.pk)],
            "questions": "评分: 服务态度\n单选: 最需改进 | 保洁 | 安保\n文字: 其他建议",
        },
    )
    assert response.status_code == 302, html(response)[:3000]
    survey = Survey.objects.get()
    assert [q.kind for q in survey.questions.all()] == ["rating", "choice", "text"]
    resident = client_for(tenant_a, world.resident)
    assert resident.get(f"/resident/surveys/{survey.pk}/").status_code == 404  # a draft
    assert staff.post(f"/staff/desk/surveys/{survey.pk}/open/").status_code == 302
    page = html(resident.get(f"/resident/surveys/{survey.pk}/"))
    assert "data-survey-answer" in page
    q = list(survey.questions.all())
    answered = resident.post(
        f"/resident/surveys/{survey.pk}/",
        {"unit": world.home.pk, f"q{q[0].pk}": "5", f"q{q[1].pk}": "保洁", f"q{q[2].pk}": "多种树"},
    )
    assert answered.status_code == 302, html(answered)[:2000]
    assert SurveyResponse.objects.filter(survey=survey, unit=world.home).exists()
    assert "data-answered" in html(resident.get(f"/resident/surveys/{survey.pk}/"))
    results = html(staff.get(f"/staff/desk/surveys/{survey.pk}/"))
    assert 'data-chart="survey"' in results and "多种树" in results and "25.0%" in results  # 1 of 4 homes
    # 滨江's staff do not see a survey to 西湖 only.
    assert client_for(tenant_a, world.other_supervisor).get(f"/staff/desk/surveys/{survey.pk}/").status_code == 404

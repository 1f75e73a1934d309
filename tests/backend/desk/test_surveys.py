"""Satisfaction surveys through the services: drafted for estates or buildings of the caller's scope, sent to
their residents (told in the inbox), answered once per home by residents living there only, results by estate
(homes, answers, rate, averages, choices) within the reader's scope; ratings of repairs and complaints by
estate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.desk import complaints as cx
from backend.desk import surveys
from backend.desk.survey_models import Survey, SurveyStatus
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.properties.models import Unit
from backend.properties.scope import Scope

from .conftest import EVERYTHING, NOW, Desk, at, move_in

QUESTIONS = [
    {"text": "服务态度", "kind": "rating"},
    {"text": "维修及时", "kind": "rating"},
    {"text": "最需改进", "kind": "choice", "choices": ["保洁", "安保", "停车"]},
    {"text": "其他建议", "kind": "text", "required": False},
]


def draft(world: Desk, *, scope: Scope | None = None, estates: list[int] | None = None, **kw: Any) -> Survey:
    values: dict[str, Any] = {
        "by": world.supervisor,
        "scope": scope or EVERYTHING,
        "title": "2030年一季度满意度调查",
        "estate_ids": estates or [world.estate.pk, world.other_estate.pk],
        "questions": QUESTIONS,
        "now": NOW,
        **kw,
    }
    return surveys.survey_create(**values)


def answer(survey: Survey, user: Any, unit: Unit, a: int, b: int, choice: str = "保洁") -> None:
    q = list(survey.questions.all())
    surveys.survey_answer(
        survey=survey,
        user=user,
        unit_id=unit.pk,
        answers={q[0].pk: a, q[1].pk: b, q[2].pk: choice, q[3].pk: ""},
        now=at(1, "10:00"),
    )


def test_a_survey_goes_to_its_estates_residents_answer_once_per_home_results_by_estate(
    world: Desk, member: Any
) -> None:
    other_resident = member(world.tenant, ["resident"])
    move_in(world.other_units[0], other_resident, "赵业主")
    survey = draft(world)
    # A draft is not shown to residents.
    assert not surveys.surveys_visible(scope=Scope(all_offices=False, resident_user_id=world.resident.pk)).exists()
    surveys.survey_open(survey=survey, by=world.supervisor, scope=EVERYTHING, now=NOW)
    told = set(Notification.objects.filter(kind="survey.open").values_list("recipient_id", flat=True))
    assert told == {world.resident.pk, world.neighbour.pk, other_resident.pk}
    answer(survey, world.resident, world.home, 5, 4)
    answer(survey, world.neighbour, world.units[1], 3, 2, "停车")
    answer(survey, other_resident, world.other_units[0], 4, 4)
    with pytest.raises(ApplicationError) as exc:  # once per home
        answer(survey, world.resident, world.home, 1, 1)
    assert exc.value.code == "already_answered"
    with pytest.raises(ApplicationError) as exc:  # not their home
        answer(survey, world.resident, world.units[1], 1, 1)
    assert "unit" in exc.value.fields
    results = surveys.survey_results(survey=survey, scope=EVERYTHING)
    by_name = {r.estate.name: r for r in results.estates}
    ours = by_name["阳光花园"]
    assert (ours.homes, ours.responses, ours.rate) == (4, 2, 50.0)
    assert ours.average == 3.5  # (5 + 4 + 3 + 2) / 4
    first, second = (q.pk for q in results.questions[:2])
    assert ours.averages == {first: 4.0, second: 3.0}
    assert by_name["江景苑"].responses == 1 and by_name["江景苑"].average == 4.0
    choice_q = results.questions[2].pk
    assert results.choices[choice_q] == [("保洁", 2), ("安保", 0), ("停车", 1)]
    # A reader scoped to 西湖 sees 西湖's results only.
    mine = surveys.survey_results(survey=survey, scope=world.scope)
    assert [r.estate.name for r in mine.estates] == ["阳光花园"]


def test_buildings_narrow_the_survey(world: Desk, member: Any) -> None:
    from backend.properties import services as registry

    building2 = registry.building_create(estate_id=world.estate.pk, name="2栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building2.pk, first_floor=1, last_floor=1, units_per_floor=1, area="90", scope=EVERYTHING
    )
    far = member(world.tenant, ["resident"])
    move_in(Unit.objects.get(building=building2), far, "孙业主")
    survey = draft(world, estates=[world.estate.pk], building_ids=[building2.pk])
    surveys.survey_open(survey=survey, by=world.supervisor, scope=EVERYTHING, now=NOW)
    assert set(Notification.objects.filter(kind="survey.open").values_list("recipient_id", flat=True)) == {far.pk}
    resident_scope = Scope(all_offices=False, resident_user_id=world.resident.pk)
    assert not surveys.surveys_visible(scope=resident_scope).exists()
    assert surveys.surveys_visible(scope=Scope(all_offices=False, resident_user_id=far.pk)).get() == survey


def test_scope_drafting_sending_and_closing(world: Desk) -> None:
    with pytest.raises(ApplicationError) as exc:  # 滨江 is not the supervisor's
        draft(world, scope=world.scope)
    assert "estates" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        draft(world, questions=[{"text": "选一个", "kind": "choice", "choices": ["甲"]}])
    assert "questions" in exc.value.fields
    both = draft(world)
    # The supervisor of 西湖 sees it (it reaches their estate) but may not send it to 滨江.
    assert surveys.survey_get(scope=world.scope, survey_id=both.pk) == both
    with pytest.raises(ApplicationError) as exc:
        surveys.survey_open(survey=both, by=world.supervisor, scope=world.scope, now=NOW)
    assert exc.value.code == "out_of_scope"
    ours = draft(world, scope=world.scope, estates=[world.estate.pk])
    other_scope = Scope(all_offices=False, office_ids=frozenset({world.other_office.pk}))
    assert surveys.survey_get(scope=other_scope, survey_id=ours.pk) is None
    surveys.survey_open(survey=ours, by=world.supervisor, scope=world.scope, now=NOW)
    surveys.survey_close(survey=ours, by=world.supervisor, scope=world.scope, now=at(1, "09:00"))
    ours.refresh_from_db()
    assert ours.status == SurveyStatus.CLOSED
    with pytest.raises(ApplicationError) as exc:
        answer(ours, world.resident, world.home, 5, 5)
    assert exc.value.code == "invalid_state"


def test_required_questions_and_ratings_are_checked(world: Desk) -> None:
    survey = draft(world, estates=[world.estate.pk])
    surveys.survey_open(survey=survey, by=world.supervisor, scope=EVERYTHING, now=NOW)
    q = list(survey.questions.all())
    with pytest.raises(ApplicationError) as exc:
        surveys.survey_answer(
            survey=survey, user=world.resident, unit_id=world.home.pk, answers={q[0].pk: 9, q[2].pk: "不存在"}
        )
    assert set(exc.value.fields) == {f"q{q[0].pk}", f"q{q[1].pk}", f"q{q[2].pk}"}


def test_satisfaction_by_estate_counts_repairs_and_complaints(world: Desk) -> None:
    complaint = cx.complaint_file(
        user=world.resident, unit_id=world.home.pk, cause="noise", description="吵", contact_phone="1", now=NOW
    )
    cx.complaint_resolve(complaint=complaint, by=world.supervisor, outcome="已处理", told_via="app", now=at(0, "10:00"))
    cx.complaint_rate(complaint=complaint, user=world.resident, score=2, now=at(0, "11:00"))
    start = dt.datetime(2030, 3, 1, tzinfo=NOW.tzinfo)
    end = dt.datetime(2030, 4, 1, tzinfo=NOW.tzinfo)
    rows = {r.estate.name: r for r in surveys.satisfaction_by_estate(scope=EVERYTHING, start=start, end=end)}
    assert rows["阳光花园"].complaints == 1 and rows["阳光花园"].complaint_average == 2.0
    assert rows["江景苑"].complaints == 0
    scoped = surveys.satisfaction_by_estate(
        scope=Scope(all_offices=False, office_ids=frozenset({world.other_office.pk})), start=start, end=end
    )
    assert [r.estate.name for r in scoped] == ["江景苑"] and scoped[0].complaints == 0

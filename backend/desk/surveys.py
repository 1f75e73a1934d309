"""Satisfaction (满意度): the ratings of repairs and complaints in one table (rating_record, called by the
repairs' confirmation and revisit and by the complaints' rating and revisit), and the company's surveys
(满意度调查): drafted by customer service with their questions, sent to the residents of chosen estates (or
buildings of them), answered once per home, and read back by estate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.notifications.services import notifications_create
from backend.properties.models import Building, Estate, Occupancy, Unit
from backend.properties.scope import Scope

from .survey_models import (
    QuestionKind,
    Rating,
    RatingSubject,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)

MAX_QUESTIONS = 20


# --- ratings ---------------------------------------------------------------------------------------------------


def rating_record(
    *,
    score: int,
    via: str,
    by: User | None,
    now: dt.datetime,
    comment: str = "",
    ticket: Any = None,
    complaint: Any = None,
) -> Rating:
    """One rating of a repair (`ticket`) or a complaint, in the caller's transaction."""
    subject = ticket if ticket is not None else complaint
    return Rating.objects.create(
        subject=RatingSubject.REPAIR if ticket is not None else RatingSubject.COMPLAINT,
        ticket=ticket,
        complaint=complaint,
        estate_id=subject.estate_id,
        office_id=subject.office_id,
        score=score,
        comment=(comment or "").strip()[:300],
        via=via,
        by=by,
        at=now,
    )


def ratings_visible(*, scope: Scope) -> QuerySet[Rating]:
    if scope.all_offices:
        return Rating.objects.all()
    if scope.is_resident:
        return Rating.objects.none()
    return Rating.objects.filter(Q(office_id__in=scope.office_ids) | Q(estate_id__in=scope.estate_ids))


@dataclass
class EstateSatisfaction:
    estate: Estate
    repairs: int = 0
    repair_average: float | None = None
    complaints: int = 0
    complaint_average: float | None = None


def satisfaction_by_estate(*, scope: Scope, start: dt.datetime, end: dt.datetime) -> list[EstateSatisfaction]:
    """Per estate of the scope: how many repairs and complaints were rated in [start, end) and their average."""
    rows = (
        ratings_visible(scope=scope)
        .filter(at__gte=start, at__lt=end)
        .values("estate_id", "subject")
        .annotate(n=Count("pk"), average=Avg("score"))
    )
    estates = {e.pk: EstateSatisfaction(e) for e in Estate.objects.filter(scope.estate_q()).order_by("name")}
    for row in rows:
        item = estates.get(row["estate_id"])
        if item is None:
            continue
        if row["subject"] == RatingSubject.REPAIR:
            item.repairs, item.repair_average = row["n"], round(float(row["average"]), 2)
        else:
            item.complaints, item.complaint_average = row["n"], round(float(row["average"]), 2)
    return list(estates.values())


# --- surveys: who may see them ---------------------------------------------------------------------------------


def surveys_visible(*, scope: Scope) -> QuerySet[Survey]:
    """Staff: surveys to at least one estate of their scope. Residents: open or closed surveys sent to one of
    their homes (its estate, and its building when the survey names buildings)."""
    if scope.all_offices:
        return Survey.objects.all()
    if scope.is_resident:
        units = Unit.objects.filter(
            occupancies__person__user_id=scope.resident_user_id or 0, occupancies__end_date__isnull=True
        )
        pairs = list(units.values_list("estate_id", "building_id"))
        if not pairs:
            return Survey.objects.none()
        estate_ids = {e for e, _b in pairs}
        building_ids = {b for _e, b in pairs}
        return (
            Survey.objects.exclude(status=SurveyStatus.DRAFT)
            .filter(estates__in=estate_ids)
            .filter(Q(buildings__isnull=True) | Q(buildings__in=building_ids))
            .distinct()
        )
    estates = Estate.objects.filter(scope.estate_q())
    return Survey.objects.filter(estates__in=estates).distinct()


def survey_get(*, scope: Scope, survey_id: int) -> Survey | None:
    return surveys_visible(scope=scope).filter(pk=survey_id).first()


def _covers_all(scope: Scope, survey: Survey) -> bool:
    if scope.all_offices:
        return True
    mine = set(Estate.objects.filter(scope.estate_q()).values_list("pk", flat=True))
    return set(survey.estates.values_list("pk", flat=True)) <= mine


def survey_units(survey: Survey) -> QuerySet[Unit]:
    """The homes a survey goes to."""
    qs = Unit.objects.filter(estate__in=survey.estates.all())
    buildings = list(survey.buildings.values_list("pk", flat=True))
    return qs.filter(building_id__in=buildings) if buildings else qs


def survey_homes_of(survey: Survey, user: User) -> QuerySet[Unit]:
    """The user's current homes the survey goes to."""
    return (
        survey_units(survey)
        .filter(occupancies__person__user_id=user.pk, occupancies__end_date__isnull=True)
        .distinct()
        .order_by("label")
    )


# --- surveys: drafting, sending, closing ----------------------------------------------------------------------


def _questions_clean(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not questions:
        raise ApplicationError.for_fields({"questions": [_("Ask at least one question.")]})
    if len(questions) > MAX_QUESTIONS:
        raise ApplicationError.for_fields({"questions": [_("At most %(n)s questions.") % {"n": MAX_QUESTIONS}]})
    out = []
    for row in questions:
        text = str(row.get("text", "")).strip()
        kind = str(row.get("kind", QuestionKind.RATING))
        choices = [str(c).strip()[:100] for c in row.get("choices") or [] if str(c).strip()]
        if not text or len(text) > 200 or kind not in QuestionKind.values:
            raise ApplicationError.for_fields({"questions": [_("Each question needs its text and a kind.")]})
        if kind == QuestionKind.CHOICE and len(choices) < 2:
            raise ApplicationError.for_fields({"questions": [_("A choice question needs two choices or more.")]})
        out.append(
            {
                "text": text,
                "kind": kind,
                "choices": choices if kind == QuestionKind.CHOICE else [],
                "required": bool(row.get("required", True)),
            }
        )
    return out


def survey_create(
    *,
    by: User,
    scope: Scope,
    title: str,
    estate_ids: list[int],
    questions: list[dict[str, Any]],
    intro: str = "",
    building_ids: list[int] | None = None,
    closes_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Survey:
    """A draft survey to the estates (of the caller's scope) or some of their buildings, with its questions
    ({text, kind: rating|choice|text, choices, required})."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title or len(title) > 100:
        errors["title"] = [_("Give the survey a title (at most 100 characters).")]
    estates = list(Estate.objects.filter(scope.estate_q(), pk__in=estate_ids or []))
    if not estates or len(estates) != len(set(estate_ids)):
        errors["estates"] = [_("Choose estates of your scope.")]
    buildings = list(Building.objects.filter(pk__in=building_ids or [], estate__in=estates))
    if len(buildings) != len(set(building_ids or [])):
        errors["buildings"] = [_("Choose buildings of those estates.")]
    if closes_on is not None and closes_on < now.date():
        errors["closes_on"] = [_("The closing date cannot be in the past.")]
    try:
        cleaned = _questions_clean(questions)
    except ApplicationError as error:
        errors.update(error.fields)
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        survey = Survey.objects.create(
            title=title, intro=(intro or "").strip()[:1000], closes_on=closes_on, created_by=by, created_at=now
        )
        survey.estates.set(estates)
        survey.buildings.set(buildings)
        SurveyQuestion.objects.bulk_create(
            [SurveyQuestion(survey=survey, position=i, **q) for i, q in enumerate(cleaned)]
        )
        audit_record(
            action="desk.survey_create",
            target=survey,
            changes={
                "estates": [e.pk for e in estates],
                "buildings": [b.pk for b in buildings],
                "questions": len(cleaned),
            },
        )
    return survey


def _survey_locked(survey: Survey, scope: Scope, statuses: tuple[str, ...]) -> Survey:
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if not _covers_all(scope, locked):
        raise ApplicationError(_("This survey reaches estates outside your scope."), code="out_of_scope", status=403)
    if locked.status not in statuses:
        raise ApplicationError(
            _("This survey is %(status)s.") % {"status": locked.get_status_display().lower()},
            code="invalid_state",
            status=409,
        )
    return locked


def survey_open(*, survey: Survey, by: User, scope: Scope, now: dt.datetime | None = None) -> Survey:
    """Send it: every resident with an account living in one of its homes is told."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _survey_locked(survey, scope, (SurveyStatus.DRAFT,))
        locked.status, locked.opened_at = SurveyStatus.OPEN, now
        locked.save(update_fields=["status", "opened_at"])
        user_ids = sorted(
            set(
                Occupancy.objects.filter(
                    unit__in=survey_units(locked), end_date__isnull=True, person__user__isnull=False
                ).values_list("person__user_id", flat=True)
            )
        )
        notifications_create(
            user_ids=user_ids,
            kind="survey.open",
            title=_("Survey: %(title)s") % {"title": locked.title},
            url=f"/resident/surveys/{locked.pk}/",
            payload={"survey": locked.pk},
        )
        audit_record(action="desk.survey_open", target=locked, changes={"residents": len(user_ids)})
    return locked


def survey_close(*, survey: Survey, by: User, scope: Scope, now: dt.datetime | None = None) -> Survey:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _survey_locked(survey, scope, (SurveyStatus.OPEN,))
        locked.status, locked.closed_at = SurveyStatus.CLOSED, now
        locked.save(update_fields=["status", "closed_at"])
        audit_record(action="desk.survey_close", target=locked, changes={"responses": locked.responses.count()})
    return locked


def survey_is_open(survey: Survey, now: dt.datetime) -> bool:
    return survey.status == SurveyStatus.OPEN and (survey.closes_on is None or now.date() <= survey.closes_on)


def survey_answer(
    *, survey: Survey, user: User, unit_id: int, answers: dict[int, Any], now: dt.datetime | None = None
) -> SurveyResponse:
    """A resident answers for one of their homes the survey goes to, once per home. `answers`: question id →
    a score 1–5 (rating), one of the choices (choice) or text."""
    now = now or timezone.now()
    survey = Survey.objects.get(pk=survey.pk)  # its status now, not as the caller read it
    if not survey_is_open(survey, now):
        raise ApplicationError(_("This survey is not open."), code="invalid_state", status=409)
    unit = survey_homes_of(survey, user).filter(pk=unit_id).first()
    if unit is None:
        raise ApplicationError.for_fields({"unit": [_("Choose one of your homes this survey is for.")]})
    rows, errors = [], {}
    for question in survey.questions.all():
        value = answers.get(question.pk)
        empty = value is None or str(value).strip() == ""
        if empty:
            if question.required:
                errors[f"q{question.pk}"] = [_("Answer this question.")]
            continue
        row = SurveyAnswer(question=question)
        if question.kind == QuestionKind.RATING:
            try:
                row.score = int(str(value))
            except (TypeError, ValueError):
                row.score = 0
            if row.score not in (1, 2, 3, 4, 5):
                errors[f"q{question.pk}"] = [_("Rate from 1 to 5.")]
        elif question.kind == QuestionKind.CHOICE:
            if str(value) not in question.choices:
                errors[f"q{question.pk}"] = [_("Choose one of the choices.")]
            row.choice = str(value)
        else:
            row.text = str(value).strip()[:1000]
        rows.append(row)
    if errors:
        raise ApplicationError.for_fields(errors)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                survey=survey, unit=unit, estate_id=unit.estate_id, user=user, submitted_at=now
            )
            for row in rows:
                row.response = response
            SurveyAnswer.objects.bulk_create(rows)
            audit_record(action="desk.survey_answer", target=response, changes={"survey": survey.pk, "unit": unit.pk})
    except IntegrityError:
        raise ApplicationError(_("This home has answered already."), code="already_answered", status=409) from None
    return response


# --- survey results --------------------------------------------------------------------------------------------


@dataclass
class EstateResult:
    estate: Estate
    homes: int = 0
    responses: int = 0
    averages: dict[int, float | None] = field(default_factory=dict)  # rating question id → average
    average: float | None = None  # of all its rating answers

    @property
    def rate(self) -> float:
        return round(100 * self.responses / self.homes, 1) if self.homes else 0.0


@dataclass
class SurveyResults:
    survey: Survey
    questions: list[SurveyQuestion]
    estates: list[EstateResult]
    choices: dict[int, list[tuple[str, int]]]  # choice question id → (choice, count)
    texts: dict[int, list[str]]  # text question id → the latest answers


def survey_results(*, survey: Survey, scope: Scope, texts_shown: int = 20) -> SurveyResults:
    """Per estate of the caller's scope: homes sent to, answers, response rate, each rating question's average
    and the overall one; choice counts and the latest texts over those estates."""
    mine = None if scope.all_offices else set(Estate.objects.filter(scope.estate_q()).values_list("pk", flat=True))
    estates = [e for e in survey.estates.order_by("name") if mine is None or e.pk in mine]
    estate_ids = [e.pk for e in estates]
    questions = list(survey.questions.all())
    homes = dict(
        survey_units(survey)
        .filter(estate_id__in=estate_ids)
        .values("estate_id")
        .annotate(n=Count("pk"))
        .values_list("estate_id", "n")
    )
    responses = dict(
        SurveyResponse.objects.filter(survey=survey, estate_id__in=estate_ids)
        .values("estate_id")
        .annotate(n=Count("pk"))
        .values_list("estate_id", "n")
    )
    answers = SurveyAnswer.objects.filter(response__survey=survey, response__estate_id__in=estate_ids)
    per_question = {
        (r["response__estate_id"], r["question_id"]): float(r["average"])
        for r in answers.filter(score__isnull=False)
        .values("response__estate_id", "question_id")
        .annotate(average=Avg("score"))
    }
    overall = {
        r["response__estate_id"]: float(r["average"])
        for r in answers.filter(score__isnull=False).values("response__estate_id").annotate(average=Avg("score"))
    }
    results = []
    for estate in estates:
        item = EstateResult(estate, homes.get(estate.pk, 0), responses.get(estate.pk, 0))
        for q in questions:
            if q.kind == QuestionKind.RATING:
                value = per_question.get((estate.pk, q.pk))
                item.averages[q.pk] = round(value, 2) if value is not None else None
        value = overall.get(estate.pk)
        item.average = round(value, 2) if value is not None else None
        results.append(item)
    choices: dict[int, list[tuple[str, int]]] = {}
    texts: dict[int, list[str]] = {}
    for q in questions:
        if q.kind == QuestionKind.CHOICE:
            counts = dict(
                answers.filter(question=q).values("choice").annotate(n=Count("pk")).values_list("choice", "n")
            )
            choices[q.pk] = [(c, counts.get(c, 0)) for c in q.choices]
        elif q.kind == QuestionKind.TEXT:
            texts[q.pk] = list(
                answers.filter(question=q)
                .exclude(text="")
                .order_by("-response__submitted_at")
                .values_list("text", flat=True)[:texts_shown]
            )
    return SurveyResults(survey, questions, results, choices, texts)

"""Complaints and surveys under /api/v1/desk/: complaints (residents: those they filed; staff: their data
scope, with the queues ?queue=mine|team|new|revisits|closed), one complaint with its timeline, its steps (one
POST per step, each a service), the monthly cause analysis; surveys (residents: those sent to their homes;
staff: those to their estates), one with its questions, its steps (open, close), a home's answers, and the
results by estate. An object outside the caller's scope is a 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.accounts.models import User
from backend.api.pagination import PageNumberPagination
from backend.api.params import validated
from backend.api.permissions import api_user, request_membership
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from tenants.db import company_time_zone

from . import complaints as services
from . import surveys
from .complaint_models import Cause, Complaint, ComplaintChannel, ComplaintEvent, Department, Severity, ToldVia
from .complaint_selectors import (
    QUEUES,
    complaint_analysis,
    complaint_get,
    complaint_queue,
    complaints_visible,
    month_parse,
)
from .survey_models import QuestionKind, Survey, SurveyQuestion

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not found within the caller's scope"),
}
CONFLICT = OpenApiResponse(description="Not possible from the object's status (invalid_state) or not yours (403)")


class ComplaintSerializer(serializers.ModelSerializer):
    """A complaint. Due instants: null where the severity has no such clock, and the answer and resolution ones
    while it waits on the complainant. level: 0 customer service, 1 the supervisor, 2 the director."""

    class Meta:
        model = Complaint
        fields = [
            "id",
            "code",
            "estate",
            "office",
            "unit",
            "location",
            "cause",
            "department",
            "severity",
            "description",
            "wanted",
            "contact_name",
            "contact_phone",
            "channel",
            "resident_deadline",
            "status",
            "level",
            "handler",
            "created_at",
            "escalated_at",
            "answered_at",
            "answer",
            "resolved_at",
            "outcome",
            "root_cause",
            "told_via",
            "told_at",
            "closed_at",
            "escalate_due",
            "answer_due",
            "resolve_due",
            "waiting_since",
            "breached",
            "revisit_due",
            "rating",
            "reopened",
        ]
        read_only_fields = fields


class ComplaintEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComplaintEvent
        fields = ["at", "kind", "by", "note", "data"]
        read_only_fields = fields


class ComplaintDetailSerializer(ComplaintSerializer):
    events = ComplaintEventSerializer(many=True, read_only=True)

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "events"]
        read_only_fields = fields


class ComplaintInSerializer(serializers.Serializer):
    cause = serializers.ChoiceField(choices=Cause.choices)
    description = serializers.CharField(max_length=2000)
    unit = serializers.IntegerField(required=False, allow_null=True, default=None)
    estate = serializers.IntegerField(required=False, allow_null=True, default=None)
    location = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    wanted = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    resident_deadline = serializers.DateField(required=False, allow_null=True, default=None)
    # staff only
    channel = serializers.ChoiceField(
        choices=[c for c in ComplaintChannel.choices if c[0] != ComplaintChannel.APP],
        required=False,
        default=ComplaintChannel.PHONE,
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.MINOR)
    department = serializers.ChoiceField(
        choices=[("", "—"), *Department.choices], required=False, allow_blank=True, default=""
    )


STAFF_STEPS = ("take", "assign", "classify", "escalate", "wait", "resume", "answer", "resolve", "revisit")
RESIDENT_STEPS = ("rate",)
BOTH_STEPS = ("withdraw",)


class ComplaintStepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=sorted((*STAFF_STEPS, *RESIDENT_STEPS, *BOTH_STEPS)))
    handler = serializers.IntegerField(required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    cause = serializers.ChoiceField(choices=Cause.choices, required=False)
    department = serializers.ChoiceField(
        choices=[("", "—"), *Department.choices], required=False, allow_blank=True, default=""
    )
    to = serializers.IntegerField(required=False, default=0)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    answer = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    outcome = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    root_cause = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    told_via = serializers.ChoiceField(choices=ToldVia.choices, required=False)
    satisfied = serializers.BooleanField(required=False, default=True)
    score = serializers.IntegerField(required=False, allow_null=True, default=None)
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DeskComplaintApi(APIView):
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def complaint(self, request: Request, pk: int) -> Complaint:
        found = complaint_get(scope=self.scope(request), complaint_id=pk)
        if found is None:
            raise Http404
        return found


class ComplaintListApi(DeskComplaintApi):
    """GET: complaints the caller may see, newest first; staff's ?queue= mine, team (the scope's open ones),
    new (not yet taken), revisits (resolved), closed. POST: a resident complains about one of their homes
    (it comes in as minor); customer service records a call, a walk-in or a letter with its severity."""

    required_permission = {"GET": perms.COMPLAINTS_SEE, "POST": perms.COMPLAINTS_SEE}

    @extend_schema(
        parameters=[OpenApiParameter("queue", str, enum=list(QUEUES), required=False)],
        responses={200: ComplaintSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        scope, queue = self.scope(request), request.query_params.get("queue") or ""
        if queue and queue not in QUEUES:
            raise serializers.ValidationError({"queue": [_("One of: %(q)s.") % {"q": ", ".join(QUEUES)}]})
        if queue and scope.is_resident:
            raise serializers.ValidationError({"queue": [_("The queues are staff's.")]})
        qs: Any = (
            complaint_queue(scope=scope, user=api_user(request), queue=queue)
            if queue
            else complaints_visible(scope=scope).order_by("-created_at", "-pk")
        )
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ComplaintSerializer(page, many=True).data)

    @extend_schema(request=ComplaintInSerializer, responses={201: ComplaintSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(ComplaintInSerializer, request)
        scope, user = self.scope(request), api_user(request)
        if scope.is_resident:
            if data["unit"] is None:
                raise ApplicationError.for_fields({"unit": [_("Choose one of your homes.")]})
            complaint = services.complaint_file(
                user=user,
                unit_id=data["unit"],
                cause=data["cause"],
                description=data["description"],
                wanted=data["wanted"],
                location=data["location"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                resident_deadline=data["resident_deadline"],
            )
        else:
            if not perms.COMPLAINTS.granted_to(request_membership(request)):
                raise ApplicationError(_("You may not take this step."), code="permission_denied", status=403)
            complaint = services.complaint_intake(
                by=user,
                scope=scope,
                channel=data["channel"],
                severity=data["severity"],
                cause=data["cause"],
                department=data["department"],
                description=data["description"],
                wanted=data["wanted"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                unit_id=data["unit"],
                estate_id=data["estate"],
                location=data["location"],
                resident_deadline=data["resident_deadline"],
            )
        return Response(ComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED)


class ComplaintApi(DeskComplaintApi):
    """One complaint with its timeline."""

    required_permission = perms.COMPLAINTS_SEE

    @extend_schema(responses={200: ComplaintDetailSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ComplaintDetailSerializer(self.complaint(request, pk)).data)


def complaint_step_run(*, complaint: Complaint, user: User, data: dict[str, Any], resident: bool) -> Complaint:
    step = data["step"]
    if step == "withdraw":
        return services.complaint_withdraw(complaint=complaint, by=user, reason=data["reason"], resident=resident)
    if step == "rate":
        return services.complaint_rate(
            complaint=complaint, user=user, score=data["score"] or 0, comment=data["comment"]
        )
    if step == "take":
        return services.complaint_assign(complaint=complaint, handler=user, by=user)
    if step == "assign":
        handler = User.objects.filter(pk=data.get("handler") or 0).first()
        if handler is None:
            raise ApplicationError.for_fields({"handler": [_("Choose who handles it.")]})
        return services.complaint_assign(complaint=complaint, handler=handler, by=user)
    if step == "classify":
        return services.complaint_classify(
            complaint=complaint,
            by=user,
            severity=data.get("severity") or complaint.severity,
            cause=data.get("cause") or complaint.cause,
            department=data["department"],
        )
    if step == "escalate":
        return services.complaint_escalate(complaint=complaint, by=user, to=data["to"], note=data["note"])
    if step == "wait":
        return services.complaint_wait(complaint=complaint, by=user, reason=data["reason"])
    if step == "resume":
        return services.complaint_resume(complaint=complaint, by=user)
    if step == "answer":
        return services.complaint_answer(complaint=complaint, by=user, answer=data["answer"])
    if step == "resolve":
        return services.complaint_resolve(
            complaint=complaint,
            by=user,
            outcome=data["outcome"],
            root_cause=data["root_cause"],
            told_via=data.get("told_via") or "",
        )
    return services.complaint_revisit(
        complaint=complaint, by=user, satisfied=data["satisfied"], note=data["note"], score=data["score"]
    )


class ComplaintStepApi(DeskComplaintApi):
    """One step: {"step": ...} with what it needs. Staff: take; assign (handler); classify (severity, cause,
    department); escalate (to 1|2, note); wait (reason); resume; answer (answer); resolve (outcome, told_via,
    root_cause); revisit (satisfied, note, score); withdraw (reason). The complainant: rate (score, comment);
    withdraw (reason)."""

    required_permission = perms.COMPLAINTS_SEE

    @extend_schema(request=ComplaintStepSerializer, responses={200: ComplaintSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(ComplaintStepSerializer, request)
        membership = request_membership(request)
        resident = self.scope(request).is_resident
        step = data["step"]
        allowed = (
            step in BOTH_STEPS
            or (step in RESIDENT_STEPS and resident)
            or (step in STAFF_STEPS and perms.COMPLAINTS.granted_to(membership))
        )
        if not allowed:
            raise ApplicationError(_("You may not take this step."), code="permission_denied", status=403)
        complaint = self.complaint(request, pk)
        done = complaint_step_run(complaint=complaint, user=api_user(request), data=data, resident=resident)
        return Response(ComplaintSerializer(done).data)


class AnalysisRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField(source="label")
    count = serializers.IntegerField()
    previous = serializers.IntegerField()


class RecurringSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_label = serializers.CharField(source="unit.label")
    count = serializers.IntegerField()
    causes = serializers.ListField(child=serializers.CharField())


class AnalysisSerializer(serializers.Serializer):
    month = serializers.DateField()
    total = serializers.IntegerField()
    previous_total = serializers.IntegerField()
    by_cause = AnalysisRowSerializer(many=True)
    by_department = AnalysisRowSerializer(many=True)
    by_severity = AnalysisRowSerializer(many=True)
    recurring_units = RecurringSerializer(many=True)
    resolved = serializers.IntegerField()
    on_time = serializers.IntegerField()
    on_time_percent = serializers.FloatField(allow_null=True)
    average_rating = serializers.FloatField(allow_null=True)


class ComplaintAnalysisApi(DeskComplaintApi):
    """The month's cause analysis (客户投诉分析) over the caller's scope: ?month=YYYY-MM (default: this month)."""

    required_permission = perms.COMPLAINTS
    pagination_class = None  # type: ignore[assignment]

    @extend_schema(
        parameters=[OpenApiParameter("month", str, required=False, description="YYYY-MM")],
        responses={200: AnalysisSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        today = timezone.now().astimezone(company_time_zone()).date()
        month = month_parse(request.query_params.get("month"), today)
        return Response(AnalysisSerializer(complaint_analysis(scope=self.scope(request), month=month)).data)


# --- surveys ---------------------------------------------------------------------------------------------------


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyQuestion
        fields = ["id", "position", "text", "kind", "choices", "required"]
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer):
    class Meta:
        model = Survey
        fields = ["id", "title", "intro", "status", "estates", "buildings", "closes_on", "opened_at", "closed_at"]
        read_only_fields = fields


class SurveyDetailSerializer(SurveySerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta(SurveySerializer.Meta):
        fields = [*SurveySerializer.Meta.fields, "questions"]
        read_only_fields = fields


class QuestionInSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=QuestionKind.choices, default=QuestionKind.RATING)
    choices = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    required = serializers.BooleanField(required=False, default=True)  # type: ignore[assignment]


class SurveyInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    intro = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    estates = serializers.ListField(child=serializers.IntegerField())
    buildings = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    closes_on = serializers.DateField(required=False, allow_null=True, default=None)
    questions = QuestionInSerializer(many=True)


class SurveyStepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=["open", "close"])


class AnswerInSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    value = serializers.CharField(max_length=1000, allow_blank=True)


class SurveyAnswersSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    answers = AnswerInSerializer(many=True)


class AnsweredSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    survey = serializers.IntegerField(source="survey_id")
    unit = serializers.IntegerField(source="unit_id")
    submitted_at = serializers.DateTimeField()


class EstateResultSerializer(serializers.Serializer):
    estate = serializers.IntegerField(source="estate.pk")
    name = serializers.CharField(source="estate.name")
    homes = serializers.IntegerField()
    responses = serializers.IntegerField()
    rate = serializers.FloatField()
    average = serializers.FloatField(allow_null=True)
    averages = serializers.DictField(child=serializers.FloatField(allow_null=True))


class ResultsSerializer(serializers.Serializer):
    estates = EstateResultSerializer(many=True)
    choices = serializers.DictField(child=serializers.ListField(child=serializers.ListField()))


class DeskSurveyApi(APIView):
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def survey(self, request: Request, pk: int) -> Survey:
        found = surveys.survey_get(scope=self.scope(request), survey_id=pk)
        if found is None:
            raise Http404
        return found


class SurveyListApi(DeskSurveyApi):
    """GET: surveys the caller may see (residents: those sent to their homes, not drafts). POST (customer
    service): a draft survey to estates of their scope (or some buildings of them) with its questions."""

    required_permission = {"GET": perms.SURVEYS_SEE, "POST": perms.SURVEYS}

    @extend_schema(responses={200: SurveySerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        qs = surveys.surveys_visible(scope=self.scope(request)).prefetch_related("estates", "buildings")
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(SurveySerializer(page, many=True).data)

    @extend_schema(request=SurveyInSerializer, responses={201: SurveyDetailSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(SurveyInSerializer, request)
        survey = surveys.survey_create(
            by=api_user(request),
            scope=self.scope(request),
            title=data["title"],
            intro=data["intro"],
            estate_ids=data["estates"],
            building_ids=data["buildings"],
            closes_on=data["closes_on"],
            questions=[dict(q) for q in data["questions"]],
        )
        return Response(SurveyDetailSerializer(survey).data, status=status.HTTP_201_CREATED)


class SurveyApi(DeskSurveyApi):
    """One survey with its questions."""

    required_permission = perms.SURVEYS_SEE

    @extend_schema(responses={200: SurveyDetailSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(SurveyDetailSerializer(self.survey(request, pk)).data)


class SurveyStepApi(DeskSurveyApi):
    """open (send it: its residents are told) or close. Every estate it goes to must be in the caller's scope."""

    required_permission = perms.SURVEYS

    @extend_schema(request=SurveyStepSerializer, responses={200: SurveySerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(SurveyStepSerializer, request)
        survey, scope, user = self.survey(request, pk), self.scope(request), api_user(request)
        if data["step"] == "open":
            done = surveys.survey_open(survey=survey, by=user, scope=scope)
        else:
            done = surveys.survey_close(survey=survey, by=user, scope=scope)
        return Response(SurveySerializer(done).data)


class SurveyAnswerApi(DeskSurveyApi):
    """A resident's answers for one of their homes the survey goes to, once per home: value is a score 1–5, one
    of the choices, or text."""

    required_permission = perms.SURVEY_ANSWER

    @extend_schema(request=SurveyAnswersSerializer, responses={201: AnsweredSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(SurveyAnswersSerializer, request)
        survey = self.survey(request, pk)
        response = surveys.survey_answer(
            survey=survey,
            user=api_user(request),
            unit_id=data["unit"],
            answers={a["question"]: a["value"] for a in data["answers"]},
        )
        return Response(AnsweredSerializer(response).data, status=status.HTTP_201_CREATED)


class SurveyResultsApi(DeskSurveyApi):
    """Results by estate of the caller's scope: homes sent to, answers, response rate (%), the average of
    every rating answer and of each rating question (by question id); choice counts (question id → [[choice,
    count], …])."""

    required_permission = perms.SURVEYS
    pagination_class = None  # type: ignore[assignment]

    @extend_schema(responses={200: ResultsSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        results = surveys.survey_results(survey=self.survey(request, pk), scope=self.scope(request))
        return Response(
            {
                "estates": EstateResultSerializer(results.estates, many=True).data,
                "choices": {str(k): [list(pair) for pair in v] for k, v in results.choices.items()},
            }
        )


urlpatterns: list[URLPattern] = [
    path("api/v1/desk/complaints/", ComplaintListApi.as_view(), name="api-desk-complaints"),
    path("api/v1/desk/complaints/analysis/", ComplaintAnalysisApi.as_view(), name="api-desk-complaint-analysis"),
    path("api/v1/desk/complaints/<int:pk>/", ComplaintApi.as_view(), name="api-desk-complaint"),
    path("api/v1/desk/complaints/<int:pk>/steps/", ComplaintStepApi.as_view(), name="api-desk-complaint-steps"),
    path("api/v1/desk/surveys/", SurveyListApi.as_view(), name="api-desk-surveys"),
    path("api/v1/desk/surveys/<int:pk>/", SurveyApi.as_view(), name="api-desk-survey"),
    path("api/v1/desk/surveys/<int:pk>/steps/", SurveyStepApi.as_view(), name="api-desk-survey-steps"),
    path("api/v1/desk/surveys/<int:pk>/answers/", SurveyAnswerApi.as_view(), name="api-desk-survey-answers"),
    path("api/v1/desk/surveys/<int:pk>/results/", SurveyResultsApi.as_view(), name="api-desk-survey-results"),
]

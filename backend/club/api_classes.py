"""Training classes under /api/v1/club/: teachers, classes (publish, close, cancel), their sessions (add,
cancel), attendance, enrolments (residents enrol for a home and withdraw; staff list them) and the teacher's
monthly statement as JSON, PDF or xlsx. Every write calls one service (classes.py, classes_money.py); a full
class is a 409 "full", a session over bookings a 409 "bookings_in_the_way" naming them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import query_choice, query_int, validated
from backend.api.permissions import api_tenant, api_user
from backend.billing.models import FeeItem
from backend.properties.selectors import resident_units

from . import classes as svc
from . import classes_money as money
from .api_base import CONFLICT, ERRORS, ClubApi
from .classes_selectors import (
    class_get,
    class_list,
    enrolment_get,
    enrolment_list,
    session_get,
    session_list,
    teacher_list,
)
from .models import (
    Attendance,
    ClassSession,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    RefundPolicy,
    Teacher,
    TrainingClass,
)
from .statements import statement_pdf, statement_xlsx, teacher_statement

# --- serializers ----------------------------------------------------------------------------------------


class TeacherSerializer(serializers.ModelSerializer):
    class Meta:
        model = Teacher
        fields = ["id", "name", "phone", "user", "share_percent", "is_active"]
        read_only_fields = ["id"]
        extra_kwargs = {"user": {"required": False}, "phone": {"required": False}}


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClassSession
        fields = ["id", "training_class", "starts_at", "ends_at", "status", "cancelled_at", "cancel_reason"]
        read_only_fields = fields


class ClassSerializer(serializers.ModelSerializer):
    """A class. `price_fen` is the fee for the whole course (integer fen); `seats_left` what can still enrol."""

    facility_name = serializers.CharField(source="facility.name", read_only=True)
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingClass
        fields = [
            "id",
            "facility",
            "facility_name",
            "teacher",
            "teacher_name",
            "title",
            "description",
            "seats",
            "seats_taken",
            "seats_left",
            "price_fen",
            "fee_item",
            "enrol_opens_at",
            "enrol_closes_at",
            "status",
            "refund_policy",
            "hold_minutes",
            "published_at",
            "cancelled_at",
            "cancel_reason",
        ]
        read_only_fields = fields


class ClassWriteSerializer(serializers.Serializer):
    teacher = serializers.IntegerField(min_value=1, required=False)
    title = serializers.CharField(max_length=80, required=False)
    description = serializers.CharField(max_length=4000, allow_blank=True, required=False)
    seats = serializers.IntegerField(min_value=1, max_value=10000, required=False)
    price_fen = serializers.IntegerField(min_value=0, max_value=100_000_000, required=False)
    fee_item = serializers.IntegerField(min_value=1, allow_null=True, required=False)
    enrol_opens_at = serializers.DateTimeField(allow_null=True, required=False)
    enrol_closes_at = serializers.DateTimeField(allow_null=True, required=False)
    refund_policy = serializers.ChoiceField(choices=RefundPolicy.choices, required=False)
    hold_minutes = serializers.IntegerField(min_value=5, max_value=7 * 24 * 60, required=False)


class ClassCreateSerializer(ClassWriteSerializer):
    facility = serializers.IntegerField(min_value=1)
    teacher = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=80)
    seats = serializers.IntegerField(min_value=1, max_value=10000)


class SessionCreateSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class ClassReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class EnrolmentSerializer(serializers.ModelSerializer):
    """An enrolment. `charge` is the bill line of its fee on the home's ledger: pay it with
    /resident/pay/?unit=<unit>&lines=<charge>. `refunded_fen` went back to the home's prepaid balance."""

    class_title = serializers.CharField(source="training_class.title", read_only=True)
    unit_label = serializers.CharField(source="unit.label", read_only=True)

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "training_class",
            "class_title",
            "unit",
            "unit_label",
            "user",
            "participant",
            "status",
            "price_fen",
            "charge",
            "paid_at",
            "hold_expires_at",
            "ended_at",
            "refunded_fen",
            "refunded_at",
            "created_at",
        ]
        read_only_fields = fields


class EnrolSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1)
    participant = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class AttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["id", "session", "enrolment", "status", "marked_at"]
        read_only_fields = fields


class MarkSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=Attendance.Status.choices)


class AttendanceWriteSerializer(serializers.Serializer):
    marks = serializers.ListField(child=MarkSerializer(), min_length=1, max_length=500)


# --- views ----------------------------------------------------------------------------------------------


class ClassesApi(ClubApi):
    def klass(self, request: Request, pk: int) -> TrainingClass:
        found = class_get(scope=self.scope(request), class_id=pk)
        if found is None:
            raise Http404
        return found

    def teacher(self, pk: int) -> Teacher:
        found = teacher_list().filter(pk=pk).first()
        if found is None:
            raise Http404
        return found

    def service_values(self, data: dict[str, Any], facility_office: int) -> dict[str, Any]:
        values = dict(data)
        if "teacher" in values:
            values["teacher"] = self.teacher(values["teacher"])
        if values.get("fee_item"):
            item = FeeItem.objects.filter(pk=values["fee_item"], office_id=facility_office).first()
            if item is None:
                raise serializers.ValidationError({"fee_item": [_("Choose a fee item of the facility's office.")]})
            values["fee_item"] = item
        return values


class TeacherListApi(ClassesApi):
    required_permission = perms.CLUB_CLASSES

    @extend_schema(responses={200: TeacherSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        return self.page(request, teacher_list(), TeacherSerializer)

    @extend_schema(request=TeacherSerializer, responses={201: TeacherSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(TeacherSerializer, request)
        teacher = svc.teacher_create(by=api_user(request), **data)
        return Response(TeacherSerializer(teacher).data, status=status.HTTP_201_CREATED)


class TeacherDetailApi(ClassesApi):
    required_permission = perms.CLUB_CLASSES

    @extend_schema(responses={200: TeacherSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(TeacherSerializer(self.teacher(pk)).data)

    @extend_schema(request=TeacherSerializer, responses={200: TeacherSerializer, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        data = validated(TeacherSerializer, request, partial=True)
        teacher = svc.teacher_update(teacher=self.teacher(pk), by=api_user(request), **data)
        return Response(TeacherSerializer(teacher).data)


class ClassListApi(ClassesApi):
    """Classes: staff those of the facilities in their scope, residents the published classes their homes may
    join (and those they enrolled in). POST (class staff): a draft class on a facility of their scope."""

    required_permission = {"GET": perms.CLUB_FACILITIES, "POST": perms.CLUB_CLASSES}

    @extend_schema(
        parameters=[OpenApiParameter("facility", int), OpenApiParameter("status", str, enum=ClassStatus.values)],
        responses={200: ClassSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        qs = class_list(
            scope=self.scope(request),
            status=query_choice(request, "status", ClassStatus.values),
            facility_id=query_int(request, "facility"),
        )
        return self.page(request, qs, ClassSerializer)

    @extend_schema(request=ClassCreateSerializer, responses={201: ClassSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(ClassCreateSerializer, request)
        facility = self.facility(request, data.pop("facility"))
        klass = svc.class_create(
            facility=facility, by=api_user(request), **self.service_values(data, facility.office_id)
        )
        return Response(ClassSerializer(self.klass(request, klass.pk)).data, status=status.HTTP_201_CREATED)


class ClassDetailApi(ClassesApi):
    required_permission = {"GET": perms.CLUB_FACILITIES, "PATCH": perms.CLUB_CLASSES}

    @extend_schema(responses={200: ClassSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ClassSerializer(self.klass(request, pk)).data)

    @extend_schema(request=ClassWriteSerializer, responses={200: ClassSerializer, 409: CONFLICT, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        klass = self.klass(request, pk)
        data = validated(ClassWriteSerializer, request)
        svc.class_update(
            training_class=klass, by=api_user(request), **self.service_values(data, klass.facility.office_id)
        )
        return Response(ClassSerializer(self.klass(request, pk)).data)


class ClassPublishApi(ClassesApi):
    required_permission = perms.CLUB_CLASSES

    @extend_schema(request=None, responses={200: ClassSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        svc.class_publish(training_class=self.klass(request, pk), by=api_user(request))
        return Response(ClassSerializer(self.klass(request, pk)).data)


class ClassCloseApi(ClassesApi):
    required_permission = perms.CLUB_CLASSES

    @extend_schema(request=None, responses={200: ClassSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        svc.class_close(training_class=self.klass(request, pk), by=api_user(request))
        return Response(ClassSerializer(self.klass(request, pk)).data)


class ClassCancelApi(ClassesApi):
    """Cancel the class: its sessions free the facility; every enrolment ends with the pro rata refund."""

    required_permission = perms.CLUB_CLASSES

    @extend_schema(request=ClassReasonSerializer, responses={200: ClassSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        klass = self.klass(request, pk)
        data = validated(ClassReasonSerializer, request)
        svc.class_cancel(training_class=klass, by=api_user(request), reason=data["reason"])
        return Response(ClassSerializer(self.klass(request, pk)).data)


class SessionListApi(ClassesApi):
    required_permission = {"GET": perms.CLUB_FACILITIES, "POST": perms.CLUB_CLASSES}

    @extend_schema(responses={200: SessionSerializer(many=True), **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        self.klass(request, pk)
        return self.page(request, session_list(scope=self.scope(request), class_id=pk), SessionSerializer)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        klass = self.klass(request, pk)
        data = validated(SessionCreateSerializer, request)
        session = svc.session_add(training_class=klass, by=api_user(request), **data)
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionsApi(ClassesApi):
    def session(self, request: Request, pk: int) -> ClassSession:
        found = session_get(scope=self.scope(request), session_id=pk)
        if found is None:
            raise Http404
        return found


class SessionCancelApi(SessionsApi):
    required_permission = perms.CLUB_CLASSES

    @extend_schema(request=ClassReasonSerializer, responses={200: SessionSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        found = self.session(request, pk)
        data = validated(ClassReasonSerializer, request)
        session = svc.session_cancel(session=found, by=api_user(request), reason=data["reason"])
        return Response(SessionSerializer(session).data)


class AttendanceApi(SessionsApi):
    """Attendance of a session: GET lists the marks; POST marks enrolments present, absent or excused."""

    required_permission = perms.CLUB_CLASSES

    @extend_schema(responses={200: AttendanceSerializer(many=True), **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        session = self.session(request, pk)
        qs = Attendance.objects.filter(session=session).order_by("enrolment_id")
        return self.page(request, qs, AttendanceSerializer)

    @extend_schema(
        request=AttendanceWriteSerializer, responses={200: AttendanceSerializer(many=True), 409: CONFLICT, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        session = self.session(request, pk)
        data = validated(AttendanceWriteSerializer, request)
        marks = {m["enrolment"]: m["status"] for m in data["marks"]}
        rows = svc.attendance_mark(session=session, marks=marks, by=api_user(request))
        return Response(AttendanceSerializer(rows, many=True).data)


class EnrolApi(ClassesApi):
    """A resident enrols (themself, or `participant` of their home) for one of their homes. Paid classes put
    the fee on the home's ledger (`charge`); 409 "full" when the seats are gone."""

    required_permission = perms.CLUB_CLASS_ENROL

    @extend_schema(request=EnrolSerializer, responses={201: EnrolmentSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        klass = self.klass(request, pk)
        data = validated(EnrolSerializer, request)
        user = api_user(request)
        unit = resident_units(user_id=user.pk).filter(pk=data["unit"]).first()
        if unit is None:
            raise Http404
        enrolment = money.enrolment_create(training_class=klass, user=user, unit=unit, participant=data["participant"])
        return Response(EnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)


class EnrolmentListApi(ClassesApi):
    required_permission = perms.CLUB_CLASS_ENROLMENTS

    @extend_schema(
        parameters=[OpenApiParameter("class", int), OpenApiParameter("status", str, enum=EnrolmentStatus.values)],
        responses={200: EnrolmentSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        qs = enrolment_list(
            scope=self.scope(request),
            class_id=query_int(request, "class"),
            status=query_choice(request, "status", EnrolmentStatus.values),
        )
        return self.page(request, qs, EnrolmentSerializer)


class EnrolmentWithdrawApi(ClassesApi):
    """Withdraw: a resident their own enrolment, class staff any of their classes'. The refund follows the
    class's policy (unpaid: the charge is corrected so nothing is owed)."""

    required_permission = perms.CLUB_CLASS_ENROLMENTS

    @extend_schema(request=None, responses={200: EnrolmentSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        enrolment = enrolment_get(scope=self.scope(request), enrolment_id=pk)
        if enrolment is None:
            raise Http404
        ended = money.enrolment_withdraw(enrolment=enrolment, by=api_user(request))
        return Response(EnrolmentSerializer(ended).data)


def _month(raw: str | None) -> dt.date:
    try:
        return dt.datetime.strptime(str(raw or ""), "%Y-%m").date()
    except ValueError:
        raise serializers.ValidationError({"month": [_('Give the month as "YYYY-MM".')]}) from None


class StatementApi(ClassesApi):
    """The teacher's monthly statement over the classes in the caller's scope: income recognised by sessions
    held, refunds, the teacher's share (rounded down) and the company's. output=json (default), pdf, xlsx."""

    required_permission = perms.CLUB_CLASS_STATEMENTS

    @extend_schema(
        parameters=[
            OpenApiParameter("month", str, required=True, description="YYYY-MM"),
            OpenApiParameter("output", str, enum=["json", "pdf", "xlsx"], description="default json"),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The statement: classes and totals (fen)"),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request, pk: int) -> Any:
        teacher = self.teacher(pk)
        month = _month(request.query_params.get("month"))
        fmt = query_choice(request, "output", ["json", "pdf", "xlsx"]) or "json"
        statement = teacher_statement(teacher=teacher, month=month, classes=class_list(scope=self.scope(request)))
        if fmt == "json":
            return Response(statement.as_dict())
        name = f"teacher-{teacher.pk}-{month:%Y-%m}"
        if fmt == "pdf":
            pdf = statement_pdf(statement, company_name=api_tenant(request).name)
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            return response
        response = HttpResponse(
            statement_xlsx(statement),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response


urlpatterns: list[URLPattern] = [
    path("api/v1/club/teachers/", TeacherListApi.as_view(), name="api-club-teachers"),
    path("api/v1/club/teachers/<int:pk>/", TeacherDetailApi.as_view(), name="api-club-teacher"),
    path("api/v1/club/teachers/<int:pk>/statement/", StatementApi.as_view(), name="api-club-teacher-statement"),
    path("api/v1/club/classes/", ClassListApi.as_view(), name="api-club-classes"),
    path("api/v1/club/classes/<int:pk>/", ClassDetailApi.as_view(), name="api-club-class"),
    path("api/v1/club/classes/<int:pk>/publish/", ClassPublishApi.as_view(), name="api-club-class-publish"),
    path("api/v1/club/classes/<int:pk>/close/", ClassCloseApi.as_view(), name="api-club-class-close"),
    path("api/v1/club/classes/<int:pk>/cancel/", ClassCancelApi.as_view(), name="api-club-class-cancel"),
    path("api/v1/club/classes/<int:pk>/sessions/", SessionListApi.as_view(), name="api-club-class-sessions"),
    path("api/v1/club/classes/<int:pk>/enrol/", EnrolApi.as_view(), name="api-club-class-enrol"),
    path("api/v1/club/sessions/<int:pk>/cancel/", SessionCancelApi.as_view(), name="api-club-session-cancel"),
    path("api/v1/club/sessions/<int:pk>/attendance/", AttendanceApi.as_view(), name="api-club-session-attendance"),
    path("api/v1/club/enrolments/", EnrolmentListApi.as_view(), name="api-club-enrolments"),
    path(
        "api/v1/club/enrolments/<int:pk>/withdraw/", EnrolmentWithdrawApi.as_view(), name="api-club-enrolment-withdraw"
    ),
]

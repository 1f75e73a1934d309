"""Renovation under /api/v1/renovation/: applications (residents: their homes' and their own; staff: their data
scope, with the queues ?queue=review|payment|works|deposit), one application with its timeline, inspections
and what is left to pay; the steps (one POST each, each a service): review (customer service or engineering),
cancel, inspections and the completion check, the deposit's settlement; the gate's permit check; the
company's settings. An application outside the caller's scope is a 404. Money in integer fen."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.pagination import PageNumberPagination
from backend.api.params import validated
from backend.api.permissions import api_user, request_membership
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from backend.uploads.fields import UploadSerializerField
from backend.uploads.kinds import RENOVATION_DOCUMENT, RENOVATION_PHOTO

from . import money, services
from .models import Application, Event, Inspection, RenovationSettings
from .selectors import QUEUES, application_get, applications_visible, queue, waiting_for

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not found within the caller's scope"),
}
CONFLICT = OpenApiResponse(
    description="Not possible now: invalid_state, already_decided, settled; arrears (the home owes overdue fees "
    "and the company's sanction 'no renovation approval' is on)"
)


class WorkerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=30)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class RenovationApplicationSerializer(serializers.ModelSerializer):
    """An application. `permit_code` is what the permit's QR code carries (null until issued); `deposit` the
    billing deposit it holds; `deposit_charge` / `debris_charge` its bill lines (pay them on the pay page)."""

    unit_label = serializers.CharField(source="unit.label", read_only=True)
    workers = WorkerSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "code",
            "unit",
            "unit_label",
            "estate",
            "office",
            "applicant",
            "applicant_name",
            "applicant_phone",
            "scope",
            "structural",
            "starts_on",
            "ends_on",
            "contractor_company",
            "contractor_contact",
            "contractor_phone",
            "workers",
            "status",
            "created_at",
            "desk_decision",
            "desk_at",
            "desk_note",
            "engineering_decision",
            "engineering_at",
            "engineering_note",
            "rejection_reason",
            "approved_at",
            "deposit_fen",
            "debris_fee_fen",
            "deposit_charge",
            "debris_charge",
            "deposit",
            "permit_code",
            "permit_issued_at",
            "completed_at",
            "settled_at",
            "refunded_fen",
            "forfeited_fen",
            "settle_reason",
        ]
        read_only_fields = fields


class RenovationEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["at", "kind", "by", "note", "data"]
        read_only_fields = fields


class InspectionSerializer(serializers.ModelSerializer):
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = ["id", "kind", "passed", "findings", "by", "at", "photos"]
        read_only_fields = fields

    def get_photos(self, obj: Inspection) -> int:
        return obj.photos.count()


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()


class RenovationPayableSerializer(serializers.Serializer):
    line_ids = serializers.ListField(child=serializers.IntegerField())
    amount_fen = serializers.IntegerField()
    pay_url = serializers.CharField()


class RenovationApplicationDetailSerializer(RenovationApplicationSerializer):
    events = RenovationEventSerializer(many=True, read_only=True)
    inspections = InspectionSerializer(many=True, read_only=True)
    documents = serializers.SerializerMethodField()
    waiting_for = serializers.SerializerMethodField()
    payable = serializers.SerializerMethodField()

    class Meta(RenovationApplicationSerializer.Meta):
        fields = [
            *RenovationApplicationSerializer.Meta.fields,
            "events",
            "inspections",
            "documents",
            "waiting_for",
            "payable",
        ]
        read_only_fields = fields

    @extend_schema_field(DocumentSerializer(many=True))
    def get_documents(self, obj: Application) -> list[dict[str, Any]]:
        return [{"id": d.pk, "kind": d.kind} for d in obj.documents.all()]

    def get_waiting_for(self, obj: Application) -> list[str]:
        return waiting_for(obj)

    @extend_schema_field(RenovationPayableSerializer)
    def get_payable(self, obj: Application) -> dict[str, Any]:
        return money.payable(obj)


class SubmitSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    scope = serializers.CharField(max_length=1000)
    structural = serializers.BooleanField(required=False, default=False)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    contractor_company = serializers.CharField(max_length=100)
    contractor_contact = serializers.CharField(max_length=60)
    contractor_phone = serializers.CharField(max_length=20)
    workers = serializers.ListField(child=serializers.CharField(max_length=60), min_length=1)
    applicant_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    plans = serializers.ListField(child=UploadSerializerField(kind=RENOVATION_DOCUMENT), min_length=1)


class ReviewSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=["desk", "engineering"])
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class InspectSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    completion = serializers.BooleanField(required=False, default=False)
    findings = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    photos = serializers.ListField(
        child=UploadSerializerField(kind=RENOVATION_PHOTO), required=False, default=list, max_length=6
    )


class SettleSerializer(serializers.Serializer):
    refund_fen = serializers.IntegerField(min_value=0)
    forfeit_fen = serializers.IntegerField(min_value=0, required=False, default=0)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PermitCheckSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)


class PermitAnswerSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    reason = serializers.CharField()
    application = RenovationApplicationSerializer()


class SettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = RenovationSettings
        fields = ["deposit_fen", "debris_fee_fen", "updated_at"]
        read_only_fields = ["updated_at"]
        # A PUT gives both amounts (the model's defaults are for a new company, not for a request that left one out).
        extra_kwargs = {"deposit_fen": {"required": True}, "debris_fee_fen": {"required": True}}


class RenovationApi(APIView):
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def application(self, request: Request, pk: int) -> Application:
        application = application_get(scope=self.scope(request), application_id=pk)
        if application is None:
            raise Http404
        return application

    def need(self, request: Request, permission: perms.Permission) -> None:
        if not permission.granted_to(request_membership(request)):
            raise ApplicationError(_("You may not take this step."), code="permission_denied", status=403)


class ApplicationListApi(RenovationApi):
    """GET: applications the caller may see, newest first; staff's ?queue=review (waiting for an approval),
    payment (approved, unpaid), works (permit issued), deposit (to settle), oldest first. POST (multipart): an
    owner applies for one of their homes with at least one plan (PDF or image) in `plans`; 409 `arrears` when
    the home owes overdue fees and the company's sanction is on."""

    required_permission = {"GET": perms.RENOVATION_READ, "POST": perms.RENOVATION_APPLY}

    @extend_schema(
        parameters=[OpenApiParameter("queue", str, enum=list(QUEUES), required=False)],
        responses={200: RenovationApplicationSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        scope, name = self.scope(request), request.query_params.get("queue") or ""
        if name and name not in QUEUES:
            raise serializers.ValidationError({"queue": [_("One of: review, payment, works, deposit.")]})
        if name and scope.is_resident:
            raise serializers.ValidationError({"queue": [_("The queues are staff's.")]})
        qs: Any = queue(scope=scope, name=name) if name else applications_visible(scope=scope).order_by("-created_at")
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs.select_related("unit"), request, view=self)
        return paginator.get_paginated_response(RenovationApplicationSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": SubmitSerializer},
        responses={201: RenovationApplicationSerializer, 409: CONFLICT, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = validated(SubmitSerializer, request)
        application = services.application_submit(
            user=api_user(request),
            unit_id=data["unit"],
            scope=data["scope"],
            structural=data["structural"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            contractor_company=data["contractor_company"],
            contractor_contact=data["contractor_contact"],
            contractor_phone=data["contractor_phone"],
            workers=data["workers"],
            applicant_phone=data["applicant_phone"],
            documents=[("plan", upload) for upload in data["plans"]],
        )
        return Response(RenovationApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


class ApplicationApi(RenovationApi):
    """One application with its timeline, inspections, documents, the approvals it waits for and what is left
    to pay before the permit."""

    required_permission = perms.RENOVATION_READ

    @extend_schema(responses={200: RenovationApplicationDetailSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(RenovationApplicationDetailSerializer(self.application(request, pk)).data)


class ReviewApi(RenovationApi):
    """Customer service (side "desk") or engineering approves, or rejects with a reason in `note`. The second
    approval posts the deposit and the debris fee on the home's bills; the permit follows once they are paid.
    One person cannot give both approvals (403 four_eyes)."""

    required_permission = perms.RENOVATION_QUEUE

    @extend_schema(request=ReviewSerializer, responses={200: RenovationApplicationSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(ReviewSerializer, request)
        side = data["side"]
        self.need(request, perms.RENOVATION_REVIEW_DESK if side == "desk" else perms.RENOVATION_REVIEW_ENGINEERING)
        application = services.application_review(
            application=self.application(request, pk),
            by=api_user(request),
            side=side,
            approve=data["approve"],
            note=data["note"],
        )
        return Response(RenovationApplicationSerializer(application).data)


class CancelApi(RenovationApi):
    """The applicant withdraws before the permit: the lines are owed no more, paid money goes back."""

    required_permission = perms.RENOVATION_APPLY

    @extend_schema(request=CancelSerializer, responses={200: RenovationApplicationSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(CancelSerializer, request)
        application = services.application_cancel(
            application=self.application(request, pk), by=api_user(request), reason=data["reason"]
        )
        return Response(RenovationApplicationSerializer(application).data)


class InspectionApi(RenovationApi):
    """Record an inspection (multipart: passed, findings, up to 6 photos), or with `completion` the completion
    check (engineering): passed ends the works, and the deposit is settled next."""

    required_permission = perms.RENOVATION_INSPECT

    @extend_schema(
        request={"multipart/form-data": InspectSerializer},
        responses={201: InspectionSerializer, 409: CONFLICT, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = validated(InspectSerializer, request)
        if data["completion"]:
            self.need(request, perms.RENOVATION_REVIEW_ENGINEERING)
        inspection = services.inspection_record(
            application=self.application(request, pk),
            by=api_user(request),
            passed=data["passed"],
            findings=data["findings"],
            photos=data["photos"],
            completion=data["completion"],
        )
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)


class DepositApi(RenovationApi):
    """Settle the deposit after a passed completion check: refund_fen + forfeit_fen must be what is held; a
    forfeit needs a reason. The refund goes to the card it was paid with (else the home's prepaid balance)."""

    required_permission = perms.RENOVATION_DEPOSIT

    @extend_schema(request=SettleSerializer, responses={200: RenovationApplicationSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(SettleSerializer, request)
        application = money.deposit_settle(
            application=self.application(request, pk),
            by=api_user(request),
            refund_fen=data["refund_fen"],
            forfeit_fen=data["forfeit_fen"],
            reason=data["reason"],
        )
        return Response(RenovationApplicationSerializer(application).data)


class PermitCheckApi(RenovationApi):
    """The gate: is this permit (its QR code's text, or typed) valid today? Logged. 404 outside the caller's
    estates or company."""

    required_permission = perms.RENOVATION_PERMIT_CHECK

    @extend_schema(request=PermitCheckSerializer, responses={200: PermitAnswerSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(PermitCheckSerializer, request)
        application, valid, reason = services.permit_check(
            code=data["code"], by=api_user(request), scope=self.scope(request)
        )
        return Response(
            {"valid": valid, "reason": reason, "application": RenovationApplicationSerializer(application).data}
        )


class SettingsApi(RenovationApi):
    """The deposit and the debris fee asked of new applications (fen)."""

    required_permission = {"GET": perms.RENOVATION_QUEUE, "PUT": perms.RENOVATION_MANAGE}

    @extend_schema(responses={200: SettingsSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(SettingsSerializer(RenovationSettings.load()).data)

    @extend_schema(request=SettingsSerializer, responses={200: SettingsSerializer, **ERRORS})
    def put(self, request: Request) -> Response:
        data = validated(SettingsSerializer, request)
        current = services.settings_update(deposit_fen=data["deposit_fen"], debris_fee_fen=data["debris_fee_fen"])
        return Response(SettingsSerializer(current).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/renovation/applications/", ApplicationListApi.as_view(), name="api-renovation-applications"),
    path("api/v1/renovation/applications/<int:pk>/", ApplicationApi.as_view(), name="api-renovation-application"),
    path("api/v1/renovation/applications/<int:pk>/review/", ReviewApi.as_view(), name="api-renovation-review"),
    path("api/v1/renovation/applications/<int:pk>/cancel/", CancelApi.as_view(), name="api-renovation-cancel"),
    path(
        "api/v1/renovation/applications/<int:pk>/inspections/",
        InspectionApi.as_view(),
        name="api-renovation-inspections",
    ),
    path("api/v1/renovation/applications/<int:pk>/deposit/", DepositApi.as_view(), name="api-renovation-deposit"),
    path("api/v1/renovation/permits/check/", PermitCheckApi.as_view(), name="api-renovation-permit-check"),
    path("api/v1/renovation/settings/", SettingsApi.as_view(), name="api-renovation-settings"),
]

"""The merchant API, account side: tokens, sign-up, who am I, the profile and licence, clerks, the directory of
companies, applications, notices and the dashboard's figures. Views are thin: each write is one service call."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.openapi import error_response
from backend.api.params import validated
from backend.api.throttling import THROTTLED, ClientIpThrottle
from backend.client_ip import client_ip
from backend.uploads.fields import UploadSerializerField
from backend.uploads.kinds import MERCHANT_LICENCE
from backend.uploads.serving import upload_response

from . import applications, merchants
from . import merchant_permissions as mperms
from . import selectors_merchant as reads
from .api_merchant_base import ERRORS, MerchantApi, found
from .models import MerchantApplication, MerchantAuditEntry, MerchantNotice


class MerchantTokenIn(serializers.Serializer):
    username = serializers.CharField(help_text="e-mail or mobile number")
    password = serializers.CharField(trim_whitespace=False)


class MerchantTokenOut(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class MerchantTokenApi(APIView):
    """Exchange a merchant user's credentials for a merchant token (valid on /api/v1/merchant/ only)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ClientIpThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=MerchantTokenIn,
        responses={
            200: MerchantTokenOut,
            403: error_response(403, "Not a merchant account"),
            429: error_response(429, "Too many failed sign-ins for this account or address"),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(MerchantTokenIn, request)
        member = merchants.merchant_sign_in(
            request=request._request, username=data["username"], password=data["password"], ip=client_ip(request.META)
        )
        token, raw = merchants.merchant_token_issue(member=member)
        return Response(MerchantTokenOut({"token": raw, "expires_at": token.expires_at}).data)


class MerchantOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    licence_number = serializers.CharField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    address = serializers.CharField()
    service_area = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    category_codes = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_category_codes(self, merchant: Any) -> list[str]:
        return sorted(c.code for c in merchant.categories.all())


class MerchantMeOut(serializers.Serializer):
    user_id = serializers.IntegerField(source="user.pk")
    name = serializers.CharField(source="user.name")
    role = serializers.CharField()
    merchant = MerchantOut()


class MerchantSignupIn(serializers.Serializer):
    name = serializers.CharField(
        max_length=100, allow_blank=True, required=False, default="", help_text="business name"
    )
    licence_number = serializers.CharField(
        max_length=40, allow_blank=True, required=False, default="", help_text="统一社会信用代码, 18 characters"
    )
    licence = UploadSerializerField(kind=MERCHANT_LICENCE, required=False, allow_null=True, default=None)
    contact_name = serializers.CharField(max_length=60, allow_blank=True, required=False, default="")
    contact_phone = serializers.CharField(max_length=30, allow_blank=True, required=False, default="")
    address = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    service_area = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    category_codes = serializers.ListField(
        child=serializers.CharField(max_length=40), allow_empty=True, required=False, default=list
    )
    owner_name = serializers.CharField(max_length=60, allow_blank=True, required=False, default="")
    owner_email = serializers.CharField(max_length=254, allow_blank=True, required=False, default="")
    owner_phone = serializers.CharField(max_length=30, allow_blank=True, required=False, default="")
    owner_password = serializers.CharField(
        max_length=128, trim_whitespace=False, allow_blank=True, required=False, default=""
    )


class MerchantSignupApi(APIView):
    """A merchant signs up: the business, its licence (营业执照, multipart) and its owner's account."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [ClientIpThrottle]
    throttle_scope = "merchant_signup"

    @extend_schema(request={"multipart/form-data": MerchantSignupIn}, responses={201: MerchantMeOut, 429: THROTTLED})
    def post(self, request: Request) -> Response:
        data = validated(MerchantSignupIn, request)
        member = merchants.merchant_sign_up(**data)
        return Response(MerchantMeOut(member).data, status=201)


class MeApi(MerchantApi):
    merchant_permission = mperms.MERCHANT_AREA

    @extend_schema(responses={200: MerchantMeOut})
    def get(self, request: Request) -> Response:
        return Response(MerchantMeOut(self.member(request)).data)


class MerchantProfileIn(serializers.Serializer):
    name = serializers.CharField(max_length=100, allow_blank=True)
    contact_name = serializers.CharField(max_length=60, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, allow_blank=True)
    address = serializers.CharField(max_length=200, allow_blank=True)
    service_area = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    category_codes = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=True)


class ProfileApi(MerchantApi):
    merchant_permission = {"GET": mperms.MERCHANT_AREA, "PUT": mperms.PROFILE_MANAGE}

    @extend_schema(responses={200: MerchantOut})
    def get(self, request: Request) -> Response:
        return Response(MerchantOut(self.merchant(request)).data)

    @extend_schema(request=MerchantProfileIn, responses={200: MerchantOut, **ERRORS})
    def put(self, request: Request) -> Response:
        data = validated(MerchantProfileIn, request)
        merchant = merchants.merchant_profile_update(member=self.member(request), **data)
        return Response(MerchantOut(merchant).data)


class MerchantLicenceIn(serializers.Serializer):
    licence_number = serializers.CharField(max_length=40, allow_blank=True)
    licence = UploadSerializerField(kind=MERCHANT_LICENCE, required=False, allow_null=True, default=None)


class LicenceApi(MerchantApi):
    """The licence photo (GET, served safely) and replacing it with a renewed one (PUT, multipart)."""

    merchant_permission = {"GET": mperms.MERCHANT_AREA, "PUT": mperms.PROFILE_MANAGE}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request) -> Any:
        merchant = self.merchant(request)
        return upload_response(merchant.licence, kind=MERCHANT_LICENCE, download_name=f"licence-{merchant.pk}")

    @extend_schema(request={"multipart/form-data": MerchantLicenceIn}, responses={200: MerchantOut, **ERRORS})
    def put(self, request: Request) -> Response:
        data = validated(MerchantLicenceIn, request)
        merchant = merchants.merchant_licence_replace(member=self.member(request), **data)
        return Response(MerchantOut(merchant).data)


class MerchantMemberOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="user.name")
    email = serializers.EmailField(source="user.email", allow_null=True)
    phone = serializers.CharField(source="user.phone", allow_null=True)
    role = serializers.CharField()
    created_at = serializers.DateTimeField()


class MerchantClerkIn(serializers.Serializer):
    name = serializers.CharField(max_length=60, allow_blank=True)
    email = serializers.CharField(max_length=254, allow_blank=True, required=False, default="")
    phone = serializers.CharField(max_length=30, allow_blank=True, required=False, default="")
    password = serializers.CharField(max_length=128, trim_whitespace=False, allow_blank=True)


class MemberListApi(MerchantApi):
    merchant_permission = mperms.MEMBERS_MANAGE

    @extend_schema(responses={200: MerchantMemberOut(many=True)})
    def get(self, request: Request) -> Response:
        return self.page(request, reads.member_list(merchant=self.merchant(request)), MerchantMemberOut)

    @extend_schema(request=MerchantClerkIn, responses={201: MerchantMemberOut, **ERRORS})
    def post(self, request: Request) -> Response:
        clerk = merchants.merchant_clerk_add(member=self.member(request), **validated(MerchantClerkIn, request))
        return Response(MerchantMemberOut(clerk).data, status=201)


class MemberDetailApi(MerchantApi):
    merchant_permission = mperms.MEMBERS_MANAGE

    @extend_schema(responses={204: None, 409: error_response(409, "The owner cannot be removed")})
    def delete(self, request: Request, pk: int) -> Response:
        merchants.merchant_member_remove(member=self.member(request), member_id=pk)
        return Response(status=204)


class MerchantEstateOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MerchantApplicationOut(serializers.Serializer):
    id = serializers.IntegerField()
    company_id = serializers.IntegerField(source="tenant_id")
    company = serializers.CharField(source="tenant.name")
    status = serializers.CharField()
    estates = serializers.SerializerMethodField()
    category_codes = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()
    approved_estate_ids = serializers.ListField(child=serializers.IntegerField())
    approved_category_codes = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(MerchantEstateOut(many=True))
    def get_estates(self, application: MerchantApplication) -> list[dict[str, Any]]:
        return [{"id": i, "name": application.estate_names.get(str(i), "")} for i in application.estate_ids]


class MerchantCompanyOut(serializers.Serializer):
    id = serializers.IntegerField(source="tenant_id")
    name = serializers.CharField()
    estates = serializers.SerializerMethodField()
    application = MerchantApplicationOut(allow_null=True)

    @extend_schema_field(MerchantEstateOut(many=True))
    def get_estates(self, entry: reads.CompanyEntry) -> list[dict[str, Any]]:
        return [{"id": i, "name": n} for i, n in entry.estates]


class CompanyListApi(MerchantApi):
    """The companies a merchant may apply to, with their estates and this merchant's application to each."""

    merchant_permission = mperms.APPLICATIONS_READ

    @extend_schema(responses={200: MerchantCompanyOut(many=True)})
    def get(self, request: Request) -> Response:
        return Response(MerchantCompanyOut(reads.company_directory(merchant=self.merchant(request)), many=True).data)


class MerchantApplicationIn(serializers.Serializer):
    company_id = serializers.IntegerField()
    estate_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    category_codes = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=True)
    message = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class ApplicationListApi(MerchantApi):
    merchant_permission = {"GET": mperms.APPLICATIONS_READ, "POST": mperms.APPLICATIONS_MANAGE}

    @extend_schema(responses={200: MerchantApplicationOut(many=True)})
    def get(self, request: Request) -> Response:
        return self.page(request, reads.application_list(merchant=self.merchant(request)), MerchantApplicationOut)

    @extend_schema(
        request=MerchantApplicationIn,
        responses={
            201: MerchantApplicationOut,
            **ERRORS,
            409: error_response(409, "The company has already decided (approved or suspended)"),
        },
    )
    def post(self, request: Request) -> Response:
        """Apply to a company, or re-submit a rejected or withdrawn application (the same one, back to pending)."""
        data = validated(MerchantApplicationIn, request)
        application = applications.application_submit(
            member=self.member(request),
            tenant_id=data["company_id"],
            estate_ids=data["estate_ids"],
            category_codes=data["category_codes"],
            message=data["message"],
        )
        return Response(MerchantApplicationOut(application).data, status=201)


class ApplicationDetailApi(MerchantApi):
    merchant_permission = mperms.APPLICATIONS_READ

    @extend_schema(responses={200: MerchantApplicationOut})
    def get(self, request: Request, pk: int) -> Response:
        application = found(reads.application_get(merchant=self.merchant(request), application_id=pk))
        return Response(MerchantApplicationOut(application).data)


class ApplicationWithdrawApi(MerchantApi):
    merchant_permission = mperms.APPLICATIONS_MANAGE

    @extend_schema(request=None, responses={200: MerchantApplicationOut, 409: error_response(409, "Not pending")})
    def post(self, request: Request, pk: int) -> Response:
        application = applications.application_withdraw(member=self.member(request), application_id=pk)
        return Response(MerchantApplicationOut(application).data)


class MerchantNoticeOut(serializers.ModelSerializer):
    class Meta:
        model = MerchantNotice
        fields = ["id", "kind", "title", "body", "data", "tenant", "created_at", "read_at"]


class NoticeListApi(MerchantApi):
    merchant_permission = mperms.MERCHANT_AREA

    @extend_schema(responses={200: MerchantNoticeOut(many=True)})
    def get(self, request: Request) -> Response:
        return self.page(request, reads.notice_list(merchant=self.merchant(request)), MerchantNoticeOut)


class MerchantReadOut(serializers.Serializer):
    marked = serializers.IntegerField()


class NoticeReadAllApi(MerchantApi):
    merchant_permission = mperms.MERCHANT_AREA

    @extend_schema(request=None, responses={200: MerchantReadOut})
    def post(self, request: Request) -> Response:
        return Response({"marked": merchants.merchant_notices_read(member=self.member(request))})


class MerchantDashboardOut(serializers.Serializer):
    listings_total = serializers.IntegerField()
    listings_active = serializers.IntegerField()
    views = serializers.IntegerField()
    applications = serializers.DictField(child=serializers.IntegerField())
    unread = serializers.IntegerField()


class DashboardApi(MerchantApi):
    merchant_permission = mperms.MERCHANT_AREA

    @extend_schema(responses={200: MerchantDashboardOut})
    def get(self, request: Request) -> Response:
        return Response(MerchantDashboardOut(reads.merchant_dashboard(merchant=self.merchant(request), notices=0)).data)


class MerchantAuditOut(serializers.ModelSerializer):
    class Meta:
        model = MerchantAuditEntry
        fields = ["id", "created_at", "user_id", "user_name", "ip", "action", "object_type", "object_id",
                  "object_repr", "changes"]  # fmt: skip


class AuditLogApi(MerchantApi):
    """The merchant's own trail: every write its users made, newest first (the owner's)."""

    merchant_permission = mperms.MEMBERS_MANAGE

    @extend_schema(responses={200: MerchantAuditOut(many=True)})
    def get(self, request: Request) -> Response:
        return self.page(request, reads.audit_list(merchant=self.merchant(request)), MerchantAuditOut)

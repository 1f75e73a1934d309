"""The company's marketplace API under /api/v1/marketplace/ on the company's domain (issue 14, part 8), for
members holding the marketplace permission: the applications made to this company and the decisions on them
(approve for some estates and categories, reject, suspend, resume, each with its reason), the licence file of
an applicant, the category switches and commission rates, the admitted merchants' listings and the listings
this company hid. Everything is read through marketplace.company.selectors (this company only: another
company's application is a 404) and written through marketplace.vetting / marketplace.moderation."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.pagination import PageNumberPagination
from backend.api.params import query_choice, query_int, validated
from backend.api.permissions import api_user, request_membership
from backend.properties.scope import Scope
from backend.uploads.kinds import MERCHANT_LICENCE
from backend.uploads.serving import upload_response
from marketplace import moderation, vetting
from marketplace.models import ApplicationStatus, MerchantApplication

from . import selectors
from .models import ListingHide

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not found in this company"),
}
CONFLICT = OpenApiResponse(description="The application's status forbids this decision (field `status`)")


class MarketplaceApi(APIView):
    required_permission = perms.MARKETPLACE_MANAGE
    pagination_class = PageNumberPagination  # lists are paged (and documented so)

    def page(self, request: Request, rows: Any, serializer: type[serializers.BaseSerializer], **kw: Any) -> Response:
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(serializer(page, many=True, **kw).data)

    def application(self, pk: int) -> MerchantApplication:
        application = selectors.application_get(pk)
        if application is None:
            raise Http404
        return application


# --- applications -----------------------------------------------------------------------------------------------


class EstateStatusSerializer(serializers.Serializer):
    estate_id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=[*ApplicationStatus.values, "not_granted"])


class MerchantSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    licence_number = serializers.CharField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    address = serializers.CharField()
    service_area = serializers.CharField()


class ApplicationSerializer(serializers.ModelSerializer):
    """An application to this company and its standing decision. `estates` gives the merchant's status in each
    estate it asked for; `licence_url` serves its licence file (营业执照)."""

    merchant = MerchantSummarySerializer(read_only=True)
    estates = serializers.SerializerMethodField()
    licence_url = serializers.SerializerMethodField()
    decided_by_name = serializers.SerializerMethodField()

    class Meta:
        model = MerchantApplication
        fields = [
            "id",
            "merchant",
            "status",
            "estate_ids",
            "category_codes",
            "message",
            "approved_estate_ids",
            "approved_category_codes",
            "reason",
            "submitted_at",
            "decided_at",
            "decided_by_name",
            "estates",
            "licence_url",
        ]
        read_only_fields = fields

    def get_estates(self, obj: MerchantApplication) -> list[dict[str, Any]]:
        names = self.context.get("estate_names")
        rows = selectors.estate_statuses(obj, names)
        return EstateStatusSerializer(rows, many=True).data  # type: ignore[return-value]

    def get_licence_url(self, obj: MerchantApplication) -> str:
        return f"/api/v1/marketplace/applications/{obj.pk}/licence/"

    def get_decided_by_name(self, obj: MerchantApplication) -> str:
        return obj.decided_by.name if obj.decided_by_id and obj.decided_by else ""


class ApplicationListApi(MarketplaceApi):
    """The applications made to this company (never another company's), newest first; `status` filters
    (pending is the queue)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ApplicationStatus.values),
            OpenApiParameter("q", str, description="Part of the merchant's name or licence number."),
        ],
        responses={200: ApplicationSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        applications = selectors.application_list(
            status=query_choice(request, "status", ApplicationStatus.values),
            q=(request.query_params.get("q") or "").strip()[:50] or None,
        )
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(applications, request, view=self)
        names = selectors.estate_names(page)
        data = ApplicationSerializer(page, many=True, context={"estate_names": names}).data
        return paginator.get_paginated_response(data)


class ApplicationDetailApi(MarketplaceApi):
    @extend_schema(responses={200: ApplicationSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ApplicationSerializer(self.application(pk)).data)


class ApproveSerializer(serializers.Serializer):
    estate_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=500,
        help_text=gettext_lazy("A part of the estates asked for."),
    )
    category_codes = serializers.ListField(
        child=serializers.CharField(max_length=40),
        min_length=1,
        max_length=100,
        help_text=gettext_lazy("A part of the categories asked for."),
    )


class DecisionReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=vetting.REASON_MAX, help_text=gettext_lazy("The merchant is told it."))


class OptionalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=vetting.REASON_MAX, allow_blank=True, required=False)


class ApplicationApproveApi(MarketplaceApi):
    """Approve a pending application for some of the estates (within the caller's data scope) and categories
    it asked for. The merchant is told at once."""

    @extend_schema(request=ApproveSerializer, responses={200: ApplicationSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        application = self.application(pk)
        data = validated(ApproveSerializer, request)
        vetting.approve(
            application=application,
            by=api_user(request),
            estate_ids=data["estate_ids"],
            category_codes=data["category_codes"],
            scope=Scope.of(request_membership(request)),
        )
        return Response(ApplicationSerializer(self.application(pk)).data)


class ApplicationRejectApi(MarketplaceApi):
    """Reject a pending application with a reason (the merchant may apply again)."""

    @extend_schema(request=DecisionReasonSerializer, responses={200: ApplicationSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        application = self.application(pk)
        vetting.reject(
            application=application, by=api_user(request), reason=validated(DecisionReasonSerializer, request)["reason"]
        )
        return Response(ApplicationSerializer(self.application(pk)).data)


class ApplicationSuspendApi(MarketplaceApi):
    """Suspend an approved merchant with a reason: its listings leave this company's search."""

    @extend_schema(request=DecisionReasonSerializer, responses={200: ApplicationSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        application = self.application(pk)
        vetting.suspend(
            application=application, by=api_user(request), reason=validated(DecisionReasonSerializer, request)["reason"]
        )
        return Response(ApplicationSerializer(self.application(pk)).data)


class ApplicationResumeApi(MarketplaceApi):
    """Resume a suspended merchant (with what it was granted before), optionally saying why."""

    @extend_schema(request=OptionalReasonSerializer, responses={200: ApplicationSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        application = self.application(pk)
        reason = validated(OptionalReasonSerializer, request).get("reason", "")
        vetting.resume(application=application, by=api_user(request), reason=reason)
        return Response(ApplicationSerializer(self.application(pk)).data)


class ApplicationLicenceApi(MarketplaceApi):
    """The merchant's licence file (营业执照): an image inline, a PDF as a download, anything else as an
    octet-stream; served with the upload module's safe headers."""

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(description="The file"), 404: ERRORS[404]}
    )
    def get(self, request: Request, pk: int) -> Any:
        licence = selectors.licence_of(pk)
        if licence is None:
            raise Http404
        return upload_response(licence, kind=MERCHANT_LICENCE, download_name=f"licence-{pk}")


# --- categories --------------------------------------------------------------------------------------------------


class CategorySettingSerializer(serializers.Serializer):
    code = serializers.CharField(source="category.code")
    parent_code = serializers.CharField(source="category.parent.code", default=None, allow_null=True)
    name = serializers.CharField(source="category.name")
    depth = serializers.IntegerField()
    enabled = serializers.BooleanField()
    commission_bp = serializers.IntegerField(help_text=gettext_lazy("Basis points: 500 = 5.00%."))
    commission_percent = serializers.CharField(help_text=gettext_lazy('Percent with two decimals, e.g. "5.00".'))


class CategorySettingWriteSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    commission_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text=gettext_lazy("0.00 to 100.00"),
    )
    commission_bp = serializers.IntegerField(min_value=0, max_value=moderation.MAX_BP, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "commission_percent" in attrs and "commission_bp" in attrs:
            raise serializers.ValidationError(
                {"commission_bp": [gettext_lazy("Give percent or basis points, not both.")]}
            )
        return attrs


def _category_row(code: str) -> selectors.CategoryRow:
    for row in selectors.category_settings():
        if row.category.code == code:
            return row
    raise Http404


class CategorySettingListApi(MarketplaceApi):
    """Every platform category with this company's switch and commission rate."""

    @extend_schema(responses={200: CategorySettingSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        return self.page(request, selectors.category_settings(), CategorySettingSerializer)


class CategorySettingDetailApi(MarketplaceApi):
    """One category: PATCH switches it on or off and/or sets the commission (percent with two decimals, or
    basis points)."""

    @extend_schema(responses={200: CategorySettingSerializer, 404: ERRORS[404]})
    def get(self, request: Request, code: str) -> Response:
        return Response(CategorySettingSerializer(_category_row(code)).data)

    @extend_schema(request=CategorySettingWriteSerializer, responses={200: CategorySettingSerializer, **ERRORS})
    def patch(self, request: Request, code: str) -> Response:
        _category_row(code)
        data = validated(CategorySettingWriteSerializer, request)
        bp = data.get("commission_bp")
        if "commission_percent" in data:
            bp = moderation.percent_to_bp(data["commission_percent"])
        moderation.category_setting_update(
            category_code=code, by=api_user(request), enabled=data.get("enabled"), commission_bp=bp
        )
        return Response(CategorySettingSerializer(_category_row(code)).data)


# --- listings and hides ----------------------------------------------------------------------------------------


class ListingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    merchant = serializers.IntegerField(source="merchant_id")
    merchant_name = serializers.CharField(source="merchant.name")
    kind = serializers.CharField()
    category = serializers.CharField(source="category.code")
    title = serializers.CharField()
    price_fen = serializers.IntegerField()
    is_active = serializers.BooleanField()
    is_hidden = serializers.BooleanField(help_text=gettext_lazy("Hidden by this company."))


class ListingListApi(MarketplaceApi):
    """The listings of the merchants this company admitted, for moderation."""

    @extend_schema(
        parameters=[
            OpenApiParameter("merchant", int),
            OpenApiParameter("hidden", bool),
            OpenApiParameter("q", str, description="Part of the title."),
        ],
        responses={200: ListingSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        hidden_param = query_choice(request, "hidden", ["true", "false"])
        listings = selectors.moderation_listings(
            merchant_id=query_int(request, "merchant"),
            hidden=None if hidden_param is None else hidden_param == "true",
            q=(request.query_params.get("q") or "").strip()[:50] or None,
        )
        return self.page(request, listings, ListingSerializer)


class ListingHideSerializer(serializers.ModelSerializer):
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    listing_title = serializers.SerializerMethodField()
    merchant_name = serializers.SerializerMethodField()
    hidden_by_name = serializers.SerializerMethodField()

    class Meta:
        model = ListingHide
        fields = ["id", "listing", "listing_title", "merchant_name", "reason", "hidden_at", "hidden_by_name"]
        read_only_fields = fields

    def _listing(self, obj: ListingHide) -> Any:
        listings = self.context.get("listings")
        if listings is None:
            listings = selectors.listings_by_id([obj.listing_id])
        return listings.get(obj.listing_id)

    def get_listing_title(self, obj: ListingHide) -> str:
        listing = self._listing(obj)
        return listing.title if listing else ""

    def get_merchant_name(self, obj: ListingHide) -> str:
        listing = self._listing(obj)
        return listing.merchant.name if listing else ""

    def get_hidden_by_name(self, obj: ListingHide) -> str:
        return obj.hidden_by.name if obj.hidden_by_id and obj.hidden_by else ""


class ListingHideCreateSerializer(serializers.Serializer):
    listing = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=vetting.REASON_MAX)


class ListingHideListApi(MarketplaceApi):
    """The listings this company hid. POST hides one (of a merchant that applied to this company) with a
    reason; the merchant is told."""

    @extend_schema(responses={200: ListingHideSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(selectors.listing_hide_list(), request, view=self)
        listings = selectors.listings_by_id([h.listing_id for h in page])
        return paginator.get_paginated_response(
            ListingHideSerializer(page, many=True, context={"listings": listings}).data
        )

    @extend_schema(
        request=ListingHideCreateSerializer,
        responses={201: ListingHideSerializer, 409: OpenApiResponse(description="Hidden already"), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = validated(ListingHideCreateSerializer, request)
        hide = moderation.listing_hide(listing_id=data["listing"], by=api_user(request), reason=data["reason"])
        return Response(ListingHideSerializer(hide).data, status=status.HTTP_201_CREATED)


class ListingHideDetailApi(MarketplaceApi):
    """DELETE: show the listing to this company's residents again (optional `reason`, told to the merchant)."""

    @extend_schema(request=OptionalReasonSerializer, responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        hide = selectors.listing_hide_list().filter(pk=pk).first()
        if hide is None:
            raise Http404
        reason = validated(OptionalReasonSerializer, request).get("reason", "") if request.data else ""
        moderation.listing_unhide(hide=hide, by=api_user(request), reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


P = "api/v1/marketplace"
urlpatterns: list[URLPattern] = [
    path(f"{P}/applications/", ApplicationListApi.as_view(), name="api-marketplace-applications"),
    path(f"{P}/applications/<int:pk>/", ApplicationDetailApi.as_view(), name="api-marketplace-application"),
    path(
        f"{P}/applications/<int:pk>/approve/",
        ApplicationApproveApi.as_view(),
        name="api-marketplace-application-approve",
    ),
    path(
        f"{P}/applications/<int:pk>/reject/", ApplicationRejectApi.as_view(), name="api-marketplace-application-reject"
    ),
    path(
        f"{P}/applications/<int:pk>/suspend/",
        ApplicationSuspendApi.as_view(),
        name="api-marketplace-application-suspend",
    ),
    path(
        f"{P}/applications/<int:pk>/resume/", ApplicationResumeApi.as_view(), name="api-marketplace-application-resume"
    ),
    path(
        f"{P}/applications/<int:pk>/licence/",
        ApplicationLicenceApi.as_view(),
        name="api-marketplace-application-licence",
    ),
    path(f"{P}/categories/", CategorySettingListApi.as_view(), name="api-marketplace-categories"),
    path(f"{P}/categories/<slug:code>/", CategorySettingDetailApi.as_view(), name="api-marketplace-category"),
    path(f"{P}/listings/", ListingListApi.as_view(), name="api-marketplace-listings"),
    path(f"{P}/listing-hides/", ListingHideListApi.as_view(), name="api-marketplace-listing-hides"),
    path(f"{P}/listing-hides/<int:pk>/", ListingHideDetailApi.as_view(), name="api-marketplace-listing-hide"),
]

"""银行托收 over the API (/api/v1/payments/bank-collections/): upload a bank's result file (checked and kept,
nothing counted), read an import, confirm it. Finance and company admins; rows are checked against the
caller's data scope. See backend/payments/bank_collection.py for the rules (all rows or none, each file and
each debit counted once)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import PAYMENT_RECORD, PAYMENTS_READ
from backend.api.errors import error_body
from backend.api.pagination import PageNumberPagination
from backend.api.permissions import api_user, request_membership
from backend.properties.scope import Scope
from backend.uploads.fields import UploadSerializerField
from backend.uploads.kinds import BANK_COLLECTION_RESULT

from .bank_collection import (
    CollectionCheck,
    CollectionRejected,
    bank_collection_apply,
    bank_collection_upload,
    bank_collections_visible,
    collection_debits,
    collection_of,
)
from .models import BankCollection

ERRORS = {
    400: OpenApiResponse(description="A file that cannot be used, or rows with problems: {error, rows}"),
    403: OpenApiResponse(description="Only finance and company admins import bank collections"),
    404: OpenApiResponse(description="No such import (among those the caller may see)"),
}


class BankCollectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankCollection
        fields = [
            "id",
            "file_name",
            "status",
            "rows",
            "succeeded",
            "failed",
            "skipped",
            "amount",
            "uploaded_at",
            "applied_at",
        ]
        extra_kwargs = {"amount": {"help_text": "fen received: the debits that became payments"}}


class UploadIn(serializers.Serializer):
    file = UploadSerializerField(kind=BANK_COLLECTION_RESULT, help_text="The bank's result file: .csv or .xlsx")


ImportOut = inline_serializer(
    name="BankCollectionImport",
    fields={
        "collection": BankCollectionSerializer(),
        "totals": serializers.DictField(
            child=serializers.IntegerField(), help_text="rows, succeeded, amount, failed, skipped, … (amounts in fen)"
        ),
        "errors": serializers.ListField(child=serializers.DictField(), help_text="row, column, message"),
        "debits": serializers.ListField(child=serializers.DictField()),
    },
)


def _check_body(collection: BankCollection, check: CollectionCheck) -> dict[str, Any]:
    return {
        "collection": BankCollectionSerializer(collection).data,
        "totals": check.totals(),
        "errors": [e.as_dict() for e in check.errors],
        "debits": [
            {
                "row": d.row,
                "unit": d.unit.pk,
                "unit_label": d.unit.label,
                "amount": d.amount,
                "succeeded": d.succeeded,
                "debited_on": d.debited_on.isoformat(),
                "serial": d.serial,
                "already_imported": d.serial in check.already,
                "reason": d.reason,
            }
            for d in check.debits
        ],
    }


def _applied_body(collection: BankCollection, scope: Scope) -> dict[str, Any]:
    debits = list(collection_debits(collection, scope=scope))
    return {
        "collection": BankCollectionSerializer(collection).data,
        "totals": {
            "rows": collection.rows,
            "succeeded": collection.succeeded,
            "amount": collection.amount,
            "failed": collection.failed,
            "failed_amount": sum(d.amount for d in debits if d.outcome == "failed"),
            "skipped": collection.skipped,
            "skipped_amount": sum(d.amount for d in debits if d.outcome == "skipped"),
            "errors": 0,
        },
        "errors": [],
        "debits": [
            {
                "row": d.row,
                "unit": d.unit_id,
                "unit_label": d.unit.label,
                "amount": d.amount,
                "outcome": d.outcome,
                "debited_on": d.debited_on.isoformat(),
                "serial": d.serial,
                "reason": d.reason,
                "payment": d.payment_id,
            }
            for d in debits
        ],
    }


class BankCollectionApi(APIView):
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def collection(self, request: Request, pk: int) -> BankCollection:
        found = bank_collections_visible(scope=self.scope(request), user=api_user(request)).filter(pk=pk).first()
        if found is None:
            raise Http404
        return found

    def body(self, request: Request, collection: BankCollection) -> dict[str, Any]:
        scope = self.scope(request)
        if collection.status == BankCollection.Status.APPLIED:
            return _applied_body(collection, scope)
        collection = BankCollection.objects.get(pk=collection.pk)  # with its file
        return _check_body(collection, collection_of(collection, scope=scope, by=api_user(request)))


class BankCollectionListApi(BankCollectionApi):
    """GET: the imports, newest first. POST: upload a result file; it is checked and kept as pending (201),
    nothing is counted until it is applied. A file uploaded before answers that import (200)."""

    required_permission = {"GET": PAYMENTS_READ, "POST": PAYMENT_RECORD}
    parser_classes = [MultiPartParser, FormParser, JSONParser]  # JSON: a 400 that names the file

    @extend_schema(responses={200: BankCollectionSerializer(many=True), 403: ERRORS[403]})
    def get(self, request: Request) -> Response:
        qs = bank_collections_visible(scope=self.scope(request), user=api_user(request))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(BankCollectionSerializer(page, many=True).data)

    @extend_schema(request={"multipart/form-data": UploadIn}, responses={201: ImportOut, 200: ImportOut, **ERRORS})
    def post(self, request: Request) -> Response:
        data = UploadIn(data=request.data)
        data.is_valid(raise_exception=True)
        scope = self.scope(request)
        upload = data.validated_data["file"]
        collection, check = bank_collection_upload(upload=upload, scope=scope, by=api_user(request))
        if check is None:
            return Response(_applied_body(collection, scope))
        return Response(_check_body(collection, check), status=status.HTTP_201_CREATED)


class BankCollectionDetailApi(BankCollectionApi):
    """One import: pending, what applying it would do now (rows, problems, totals); applied, what it did."""

    required_permission = PAYMENTS_READ

    @extend_schema(responses={200: ImportOut, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.body(request, self.collection(request, pk)))


class BankCollectionApplyApi(BankCollectionApi):
    """Apply a pending import: each successful debit becomes a payment of its unit. All rows or none: a file
    with problems answers 400 with every problem in `rows`. Applying it again changes nothing (200)."""

    required_permission = PAYMENT_RECORD

    @extend_schema(request=None, responses={200: ImportOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        collection = self.collection(request, pk)
        scope = self.scope(request)
        try:
            collection = bank_collection_apply(collection_id=collection.pk, scope=scope, by=api_user(request))
        except CollectionRejected as rejected:
            body = error_body(rejected.code, rejected.message, rejected.fields)
            return Response(
                {**body, "rows": [e.as_dict() for e in rejected.check.errors]}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(_applied_body(collection, scope))


urlpatterns: list[URLPattern] = [
    path("api/v1/payments/bank-collections/", BankCollectionListApi.as_view(), name="api-bank-collections"),
    path("api/v1/payments/bank-collections/<int:pk>/", BankCollectionDetailApi.as_view(), name="api-bank-collection"),
    path(
        "api/v1/payments/bank-collections/<int:pk>/apply/",
        BankCollectionApplyApi.as_view(),
        name="api-bank-collection-apply",
    ),
]

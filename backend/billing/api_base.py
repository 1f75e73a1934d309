"""What every billing API view shares (and backend/payments/api.py builds on): the caller's Scope, the units,
offices and fee items it lets them see (a lookup by id outside it is a 404), paging, and the parsing of
request input into the shared error shape.

Every read goes through the caller's Scope (staff: their offices/estates; residents: the units they live in
now). Every write calls a service of services.py / ledger.py / runs.py, which validates, locks and audits;
their ApplicationError becomes the shared error shape (400 with field messages, 403 for four-eyes, 409 for a
reused idempotency key). Money is integer fen; see api_fields.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.pagination import PageNumberPagination
from backend.api.params import query_int
from backend.api.permissions import request_membership
from backend.properties.models import ManagementOffice, Unit
from backend.properties.scope import Scope

from .models import BillLine, FeeItem
from .periods import parse_period
from .selectors import bill_lines_for, lines_with_balances

UNIT_PARAM = OpenApiParameter("unit", int, description="A unit id (residents: a unit they live in).")
UNIT_REQUIRED = OpenApiParameter("unit", int, required=True, description="A unit id (residents: their own).")
ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    403: OpenApiResponse(description="The caller's roles do not allow this"),
    404: OpenApiResponse(description="Not found within the caller's scope"),
}


def field_error(name: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({name: [message]})


def period_value(value: str | None, name: str = "period") -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return parse_period(str(value))
    except ValueError:
        raise field_error(name, _('Enter a month as "YYYY-MM", e.g. 2026-07.')) from None


def query_date(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise field_error(name, _('Enter a date as "YYYY-MM-DD".')) from None


class BillingApi(APIView):
    # APIView does not page by itself; naming the paginator lets the OpenAPI schema describe paged lists.
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def page(self, request: Request, qs: Any, serializer: type[serializers.BaseSerializer]) -> Response:
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(serializer(page, many=True).data)

    def units(self, request: Request) -> QuerySet[Unit]:
        return self.scope(request).filter_units(Unit.objects.all())

    def unit(self, request: Request, unit_id: int | None) -> Unit:
        """A unit the caller may see, or 404 (another company's, another office's, a neighbour's)."""
        unit = self.units(request).filter(pk=unit_id).first() if unit_id is not None else None
        if unit is None:
            raise Http404
        return unit

    def required_unit(self, request: Request) -> Unit:
        unit_id = query_int(request, "unit")
        if unit_id is None:
            raise field_error("unit", _("Choose a unit (?unit=<id>)."))
        return self.unit(request, unit_id)

    def offices(self, request: Request) -> QuerySet[ManagementOffice]:
        return ManagementOffice.objects.filter(self.scope(request).office_q()).distinct()

    def fee_items(self, request: Request) -> QuerySet[FeeItem]:
        return FeeItem.objects.filter(office__in=self.offices(request).values("pk"))

    def fee_item(self, request: Request, pk: int) -> FeeItem:
        item = self.fee_items(request).filter(pk=pk).first()
        if item is None:
            raise Http404
        return item

    def bill_lines(self, request: Request) -> QuerySet[BillLine]:
        qs = lines_with_balances(BillLine.objects.select_related("unit", "fee_item"))
        return bill_lines_for(self.scope(request), qs)

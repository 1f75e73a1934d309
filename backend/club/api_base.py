"""What the club's API views share: the caller's Scope, the facilities and bookings it lets them see (a lookup
by id outside it is a 404, like an id that does not exist), paging, and reading input into the shared error
shape. Every write calls one service (services.py, booking.py, closures.py), which checks and audits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.pagination import PageNumberPagination
from backend.api.permissions import request_membership
from backend.properties.models import Unit
from backend.properties.scope import Scope

from .models import Booking, Facility
from .selectors import booking_get, facility_get

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not found within the caller's scope"),
}
CONFLICT = OpenApiResponse(
    description="Not possible now: the place is taken (full), the home's quota is used up (quota_reached), the "
    "home is suspended or in arrears, or the booking's state forbids it"
)


def query_date(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise serializers.ValidationError({name: [_('Enter a date as "YYYY-MM-DD".')]}) from None


class ClubApi(APIView):
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def manages(self, request: Request) -> bool:
        """Staff who run the club (book for guests, cancel with a reason); everyone else acts as a resident."""
        return perms.CLUB_MANAGE.granted_to(request_membership(request))

    def page(self, request: Request, qs: Any, serializer: type[serializers.BaseSerializer]) -> Response:
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(serializer(page, many=True).data)

    def facility(self, request: Request, pk: int) -> Facility:
        facility = facility_get(scope=self.scope(request), facility_id=pk)
        if facility is None:
            raise Http404
        return facility

    def booking(self, request: Request, pk: int) -> Booking:
        booking = booking_get(scope=self.scope(request), booking_id=pk)
        if booking is None:
            raise Http404
        return booking

    def staff_unit(self, request: Request, unit_id: int) -> Unit:
        unit = self.scope(request).filter_units(Unit.objects.all()).filter(pk=unit_id).first()
        if unit is None:
            raise Http404
        return unit

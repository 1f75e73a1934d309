"""Registry API under /api/v1/. Every queryset goes through the caller's Scope (ScopedApi.scope)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.openapi import error_response
from backend.api.pagination import PageNumberPagination
from backend.api.params import query_int
from backend.api.permissions import api_user, request_membership
from backend.api.serializer_fields_cache import CachedModelFields
from backend.uploads.fields import UploadSerializerField
from backend.uploads.kinds import BINDING_DOCUMENT

from . import selectors, services
from .masking import mask_id_number, mask_phone, may_see_full
from .models import (
    BindingRequest,
    Building,
    Estate,
    ManagementOffice,
    Occupancy,
    OccupancyRole,
    ParkingSpace,
    Person,
    Unit,
    UnitStatus,
    UnitType,
)
from .scope import Scope


class ScopedApi(APIView):
    # APIView does not page by itself; naming the paginator lets the OpenAPI schema describe paged lists.
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def page(self, request: Request, qs: Any, serializer: type[serializers.BaseSerializer], **kw: Any) -> Response:
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(serializer(page, many=True, **kw).data)


# --- offices, estates, buildings -------------------------------------------------------------------


class OfficeOut(serializers.ModelSerializer):
    class Meta:
        model = ManagementOffice
        fields = ["id", "name", "phone", "address"]


class OfficeIn(serializers.Serializer):
    name = serializers.CharField(max_length=60, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class OfficeListApi(ScopedApi):
    required_permission = {"GET": perms.REGISTRY_READ, "POST": perms.OFFICE_CREATE}

    @extend_schema(responses={200: OfficeOut(many=True)})
    def get(self, request: Request) -> Response:
        return self.page(request, selectors.office_list(scope=self.scope(request)).order_by("name"), OfficeOut)

    @extend_schema(request=OfficeIn, responses={201: OfficeOut})
    def post(self, request: Request) -> Response:
        data = OfficeIn(data=request.data)
        data.is_valid(raise_exception=True)
        office = services.office_create(scope=self.scope(request), **data.validated_data)
        return Response(OfficeOut(office).data, status=status.HTTP_201_CREATED)


class EstateOut(serializers.ModelSerializer):
    class Meta:
        model = Estate
        fields = ["id", "office", "name", "address"]


class EstateIn(serializers.Serializer):
    office = serializers.IntegerField()
    name = serializers.CharField(max_length=60, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EstateListApi(ScopedApi):
    required_permission = {"GET": perms.REGISTRY_READ, "POST": perms.REGISTRY_WRITE}

    @extend_schema(parameters=[OpenApiParameter("office", int)], responses={200: EstateOut(many=True)})
    def get(self, request: Request) -> Response:
        qs = selectors.estate_list(scope=self.scope(request), office_id=query_int(request, "office")).order_by("name")
        return self.page(request, qs, EstateOut)

    @extend_schema(request=EstateIn, responses={201: EstateOut})
    def post(self, request: Request) -> Response:
        data = EstateIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        estate = services.estate_create(
            office_id=v["office"], name=v["name"], address=v["address"], scope=self.scope(request)
        )
        return Response(EstateOut(estate).data, status=status.HTTP_201_CREATED)


class BuildingOut(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = ["id", "estate", "name", "floors"]


class BuildingIn(serializers.Serializer):
    estate = serializers.IntegerField()
    name = serializers.CharField(max_length=40, allow_blank=True)
    floors = serializers.IntegerField(min_value=0, max_value=300, required=False, default=0)


class BuildingListApi(ScopedApi):
    required_permission = {"GET": perms.REGISTRY_READ, "POST": perms.REGISTRY_WRITE}

    @extend_schema(parameters=[OpenApiParameter("estate", int)], responses={200: BuildingOut(many=True)})
    def get(self, request: Request) -> Response:
        qs = selectors.building_list(scope=self.scope(request), estate_id=query_int(request, "estate"))
        return self.page(request, qs.order_by("estate_id", "name"), BuildingOut)

    @extend_schema(request=BuildingIn, responses={201: BuildingOut})
    def post(self, request: Request) -> Response:
        data = BuildingIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        building = services.building_create(
            estate_id=v["estate"], name=v["name"], floors=v["floors"], scope=self.scope(request)
        )
        return Response(BuildingOut(building).data, status=status.HTTP_201_CREATED)


class GenerateIn(serializers.Serializer):
    first_floor = serializers.IntegerField(min_value=-10, max_value=300, default=1)
    last_floor = serializers.IntegerField(min_value=-10, max_value=300)
    units_per_floor = serializers.IntegerField(min_value=1, max_value=200)
    pattern = serializers.CharField(max_length=40, default="{floor}{unit:02d}")
    skip_floors = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    area = serializers.CharField(max_length=20)
    unit_type = serializers.ChoiceField(choices=UnitType.choices, default=UnitType.RESIDENTIAL)


class GenerateOut(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()


class BuildingGenerateApi(ScopedApi):
    """批量生成: all units of a building from floors × units per floor and a numbering pattern."""

    required_permission = perms.REGISTRY_WRITE

    @extend_schema(request=GenerateIn, responses={201: GenerateOut})
    def post(self, request: Request, pk: int) -> Response:
        data = GenerateIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.units_generate(building_id=pk, scope=self.scope(request), **data.validated_data)
        return Response(GenerateOut(result).data, status=status.HTTP_201_CREATED)


# --- units ------------------------------------------------------------------------------------------


class UnitOut(CachedModelFields, serializers.ModelSerializer):
    area = serializers.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        model = Unit
        fields = ["id", "office", "estate", "building", "number", "label", "floor", "area", "unit_type", "status"]


def _unit_filters(request: Request) -> selectors.UnitFilters:
    unit_type = request.query_params.get("unit_type", "")
    unit_status = request.query_params.get("status", "")
    if unit_type and unit_type not in UnitType.values:
        raise serializers.ValidationError({"unit_type": [f"One of {', '.join(UnitType.values)}."]})
    if unit_status and unit_status not in UnitStatus.values:
        raise serializers.ValidationError({"status": [f"One of {', '.join(UnitStatus.values)}."]})
    return selectors.UnitFilters(
        office_id=query_int(request, "office"),
        estate_id=query_int(request, "estate"),
        building_id=query_int(request, "building"),
        unit_type=unit_type,
        status=unit_status,
        floor=query_int(request, "floor"),
        q=request.query_params.get("q", ""),
    )


UNIT_FILTER_PARAMETERS = [
    OpenApiParameter("office", int),
    OpenApiParameter("estate", int),
    OpenApiParameter("building", int),
    OpenApiParameter("unit_type", str, enum=UnitType.values),
    OpenApiParameter("status", str, enum=UnitStatus.values),
    OpenApiParameter("floor", int),
    OpenApiParameter("q", str),
]


class UnitListApi(ScopedApi):
    """Staff: the units of their offices. Residents: the units they are bound to."""

    required_permission = perms.REGISTRY_OR_OWN_HOMES

    @extend_schema(parameters=UNIT_FILTER_PARAMETERS, responses={200: UnitOut(many=True)})
    def get(self, request: Request) -> Response:
        return self.page(
            request, selectors.unit_list(scope=self.scope(request), filters=_unit_filters(request)), UnitOut
        )


class UnitDetailApi(ScopedApi):
    required_permission = perms.REGISTRY_OR_OWN_HOMES

    @extend_schema(responses={200: UnitOut})
    def get(self, request: Request, pk: int) -> Response:
        unit = selectors.unit_get(scope=self.scope(request), unit_id=pk)
        if unit is None:
            raise Http404
        return Response(UnitOut(unit).data)


class BulkUpdateIn(serializers.Serializer):
    unit_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=20000)
    unit_type = serializers.ChoiceField(choices=UnitType.choices, required=False)
    status = serializers.ChoiceField(choices=UnitStatus.choices, required=False)
    area = serializers.CharField(max_length=20, required=False)


class UnitBulkUpdateApi(ScopedApi):
    required_permission = perms.REGISTRY_WRITE

    @extend_schema(
        request=BulkUpdateIn,
        responses={200: inline_serializer("UnitsUpdatedOut", {"updated": serializers.IntegerField()})},
    )
    def post(self, request: Request) -> Response:
        data = BulkUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.units_bulk_update(scope=self.scope(request), **data.validated_data)
        return Response({"updated": updated})


# --- people -----------------------------------------------------------------------------------------


class PersonOut(serializers.ModelSerializer):
    """Lists mask the phone and the ID number for everyone."""

    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "name", "phone", "id_number", "birthday"]

    def get_phone(self, person: Person) -> str:
        return mask_phone(person.phone)

    def get_id_number(self, person: Person) -> str:
        return mask_id_number(person.id_number)


class PersonDetailOut(PersonOut):
    """One person: the phone in full for roles that need it; the ID number only through /reveal/ (audited)."""

    def get_phone(self, person: Person) -> str:
        return person.phone if self.context.get("full_view") else mask_phone(person.phone)


class PersonIn(serializers.Serializer):
    name = serializers.CharField(max_length=60, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    birthday = serializers.DateField(required=False, allow_null=True, default=None)


class PersonListApi(ScopedApi):
    required_permission = {"GET": perms.REGISTRY_READ, "POST": perms.REGISTRY_WRITE}

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses={200: PersonOut(many=True)})
    def get(self, request: Request) -> Response:
        qs = selectors.person_list(scope=self.scope(request), q=request.query_params.get("q", ""))
        return self.page(request, qs.order_by("name", "id"), PersonOut)

    @extend_schema(request=PersonIn, responses={201: PersonDetailOut})
    def post(self, request: Request) -> Response:
        data = PersonIn(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.person_create(**data.validated_data)
        full = may_see_full(request_membership(request))
        return Response(PersonDetailOut(person, context={"full_view": full}).data, status=status.HTTP_201_CREATED)


class PersonDetailApi(ScopedApi):
    required_permission = {"GET": perms.REGISTRY_READ, "PATCH": perms.REGISTRY_WRITE}

    def _get(self, request: Request, pk: int) -> Person:
        person = selectors.person_get(scope=self.scope(request), person_id=pk)
        if person is None:
            raise Http404
        return person

    @extend_schema(responses={200: PersonDetailOut})
    def get(self, request: Request, pk: int) -> Response:
        full = may_see_full(request_membership(request))
        return Response(PersonDetailOut(self._get(request, pk), context={"full_view": full}).data)

    @extend_schema(request=PersonIn, responses={200: PersonDetailOut})
    def patch(self, request: Request, pk: int) -> Response:
        person = self._get(request, pk)
        current = dict(PersonDetailOut(person, context={"full_view": True}).data)
        incoming = request.data.dict() if hasattr(request.data, "dict") else dict(request.data)  # type: ignore[arg-type]
        data = PersonIn(data={**current, "id_number": person.id_number, **incoming})
        data.is_valid(raise_exception=True)
        person = services.person_update(person=person, **data.validated_data)
        return Response(PersonDetailOut(person, context={"full_view": True}).data)


class RevealIn(serializers.Serializer):
    field = serializers.ChoiceField(choices=["id_number", "phone"])


class PersonRevealApi(ScopedApi):
    """The full ID number (or phone): company_admin, customer_service and finance only; always audited."""

    required_permission = perms.PERSONAL_DATA_FULL

    @extend_schema(
        request=RevealIn,
        responses={
            200: inline_serializer(
                "RevealedOut",
                {
                    "id_number": serializers.CharField(required=False),
                    "phone": serializers.CharField(required=False),
                },
            )
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = RevealIn(data=request.data)
        data.is_valid(raise_exception=True)
        person = selectors.person_get(scope=self.scope(request), person_id=pk)
        if person is None:
            raise Http404
        field = data.validated_data["field"]
        return Response({field: services.person_reveal(person=person, field=field)})


# --- occupancies ----------------------------------------------------------------------------------


class OccupancyOut(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name")

    class Meta:
        model = Occupancy
        fields = ["id", "unit", "person", "person_name", "role", "start_date", "end_date", "note"]


class MoveInIn(serializers.Serializer):
    unit = serializers.IntegerField()
    person = serializers.IntegerField()
    role = serializers.ChoiceField(choices=OccupancyRole.choices)
    start_date = serializers.DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MoveOutIn(serializers.Serializer):
    end_date = serializers.DateField()


class OccupancyListApi(ScopedApi):
    required_permission = {"GET": perms.REGISTRY_READ, "POST": perms.REGISTRY_WRITE}

    @extend_schema(
        parameters=[OpenApiParameter("unit", int), OpenApiParameter("person", int), OpenApiParameter("current", bool)],
        responses={200: OccupancyOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = Occupancy.objects.filter(unit__in=self.scope(request).filter_units(Unit.objects.all())).select_related(
            "person"
        )
        if unit := query_int(request, "unit"):
            qs = qs.filter(unit_id=unit)
        if person := query_int(request, "person"):
            qs = qs.filter(person_id=person)
        if request.query_params.get("current") in ("1", "true"):
            qs = qs.filter(end_date__isnull=True)
        return self.page(request, qs, OccupancyOut)

    @extend_schema(request=MoveInIn, responses={201: OccupancyOut})
    def post(self, request: Request) -> Response:
        data = MoveInIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        scope = self.scope(request)
        person = (
            selectors.person_get(scope=scope, person_id=v["person"])
            or Person.objects.filter(pk=v["person"], occupancies__isnull=True).first()
        )  # someone new, not yet living anywhere, may move into a unit in scope
        if person is None:
            raise Http404
        occupancy = services.occupancy_move_in(
            unit_id=v["unit"], person=person, role=v["role"], start_date=v["start_date"], note=v["note"], scope=scope
        )
        return Response(OccupancyOut(occupancy).data, status=status.HTTP_201_CREATED)


class OccupancyMoveOutApi(ScopedApi):
    required_permission = perms.REGISTRY_WRITE

    @extend_schema(request=MoveOutIn, responses={200: OccupancyOut})
    def post(self, request: Request, pk: int) -> Response:
        data = MoveOutIn(data=request.data)
        data.is_valid(raise_exception=True)
        occupancy = services.occupancy_move_out(
            occupancy_id=pk, end_date=data.validated_data["end_date"], scope=self.scope(request)
        )
        return Response(OccupancyOut(occupancy).data)


# --- binding requests ------------------------------------------------------------------------------


class BindingOut(serializers.ModelSerializer):
    unit_label = serializers.CharField(source="unit.label")

    class Meta:
        model = BindingRequest
        fields = ["id", "user", "unit", "unit_label", "relation", "status", "note", "created_at", "decided_at"]


class BindingIn(serializers.Serializer):
    unit = serializers.IntegerField()
    relation = serializers.ChoiceField(choices=OccupancyRole.choices)
    document = UploadSerializerField(kind=BINDING_DOCUMENT, required=False, allow_null=True)


class DecisionIn(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BindingListApi(ScopedApi):
    """Residents: their own requests (and POST a new one). Staff: requests for units in their scope."""

    required_permission = {"GET": perms.REGISTRY_OR_OWN_HOMES, "POST": perms.BINDING_REQUEST}

    @extend_schema(parameters=[OpenApiParameter("status", str)], responses={200: BindingOut(many=True)})
    def get(self, request: Request) -> Response:
        membership = request_membership(request)
        assert membership is not None
        if membership.is_staff_member:
            qs = selectors.binding_request_list(
                scope=self.scope(request), status=request.query_params.get("status", "")
            )
        else:
            qs = selectors.binding_requests_of(user_id=membership.user_id)
        return self.page(request, qs, BindingOut)

    @extend_schema(request=BindingIn, responses={201: BindingOut})
    def post(self, request: Request) -> Response:
        data = BindingIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        binding = services.binding_request_create(
            user=api_user(request), unit_id=v["unit"], relation=v["relation"], document=v.get("document")
        )
        return Response(BindingOut(binding).data, status=status.HTTP_201_CREATED)


ALREADY_DECIDED = error_response(409, "The request was already approved or rejected")


class BindingApproveApi(ScopedApi):
    required_permission = perms.BINDING_REVIEW

    @extend_schema(request=DecisionIn, responses={200: BindingOut, 409: ALREADY_DECIDED})
    def post(self, request: Request, pk: int) -> Response:
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        binding = services.binding_request_approve(
            request_id=pk, by=api_user(request), scope=self.scope(request), note=data.validated_data["note"]
        )
        return Response(BindingOut(binding).data)


class BindingRejectApi(ScopedApi):
    required_permission = perms.BINDING_REVIEW

    @extend_schema(request=DecisionIn, responses={200: BindingOut, 409: ALREADY_DECIDED})
    def post(self, request: Request, pk: int) -> Response:
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        binding = services.binding_request_reject(
            request_id=pk, by=api_user(request), scope=self.scope(request), note=data.validated_data["note"]
        )
        return Response(BindingOut(binding).data)


# --- parking and search -----------------------------------------------------------------------------


class ParkingOut(serializers.ModelSerializer):
    class Meta:
        model = ParkingSpace
        fields = ["id", "estate", "number", "kind", "unit"]


class ParkingIn(serializers.Serializer):
    estate = serializers.IntegerField()
    number = serializers.CharField(max_length=20, allow_blank=True)
    kind = serializers.ChoiceField(choices=ParkingSpace.Kind.choices, default=ParkingSpace.Kind.RENTED)


class ParkingListApi(ScopedApi):
    required_permission = {"GET": perms.REGISTRY_READ, "POST": perms.REGISTRY_WRITE}

    @extend_schema(parameters=[OpenApiParameter("estate", int)], responses={200: ParkingOut(many=True)})
    def get(self, request: Request) -> Response:
        return self.page(
            request,
            selectors.parking_list(scope=self.scope(request), estate_id=query_int(request, "estate")),
            ParkingOut,
        )

    @extend_schema(request=ParkingIn, responses={201: ParkingOut})
    def post(self, request: Request) -> Response:
        data = ParkingIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        space = services.parking_space_create(
            estate_id=v["estate"], number=v["number"], kind=v["kind"], scope=self.scope(request)
        )
        return Response(ParkingOut(space).data, status=status.HTTP_201_CREATED)


class SearchHitOut(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    subtitle = serializers.CharField()
    url = serializers.CharField()


class SearchApi(ScopedApi):
    """One box: unit number, estate or building, a person's name, phone or part of an ID number."""

    required_permission = perms.REGISTRY_READ

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True)],
        responses={200: inline_serializer("SearchOut", {"results": SearchHitOut(many=True)})},
    )
    def get(self, request: Request) -> Response:
        hits = selectors.registry_search(scope=self.scope(request), q=request.query_params.get("q", ""))
        return Response({"results": SearchHitOut(hits, many=True).data})

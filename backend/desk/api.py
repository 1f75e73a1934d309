"""Repairs under /api/v1/desk/: categories, tickets (residents: their homes' and their own; staff: their data
scope, with the work queues ?queue=mine|team|pool), one ticket with its timeline, and its steps (one POST
per step, each a service: dispatch, grab, accept, on the way, start, wait/resume, finish, leak test,
confirm, revisit, cancel). A ticket outside the caller's scope is a 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
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

from . import services
from .models import Channel, Place, Priority, RepairCategory, Ticket, TicketEvent
from .selectors import QUEUES, categories_active, queue_mine, queue_pool, queue_team, ticket_get, tickets_visible

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not found within the caller's scope"),
}
CONFLICT = OpenApiResponse(description="Not possible from the ticket's status (invalid_state) or not yours (403)")


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = RepairCategory
        fields = ["id", "code", "name", "default_priority", "paid", "revisit_rule"]
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer):
    """A repair. Due instants are null while the ticket waits on the resident; `charge` is the bill line of a
    paid repair (pay it on the pay page); money in integer fen."""

    category_name = serializers.CharField(source="category.name", read_only=True)
    charge_fen = serializers.IntegerField(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "code",
            "category",
            "category_name",
            "place",
            "unit",
            "estate",
            "office",
            "location",
            "description",
            "contact_name",
            "contact_phone",
            "preferred_time",
            "channel",
            "priority",
            "paid",
            "status",
            "assignee",
            "created_at",
            "accepted_at",
            "finished_at",
            "confirmed_at",
            "closed_at",
            "response_due",
            "resolution_due",
            "waiting_since",
            "breached",
            "revisit_due",
            "rating",
            "materials",
            "labour_fen",
            "charge_fen",
            "charge",
            "reopened",
        ]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketEvent
        fields = ["at", "kind", "by", "note", "data"]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    events = EventSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "events"]
        read_only_fields = fields


class ReportSerializer(serializers.Serializer):
    category = serializers.IntegerField()
    place = serializers.ChoiceField(choices=Place.choices, default=Place.IN_UNIT)
    unit = serializers.IntegerField(required=False, allow_null=True, default=None)
    estate = serializers.IntegerField(required=False, allow_null=True, default=None)
    location = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=1000)
    contact_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    preferred_time = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=[Channel.PHONE, Channel.WALK_IN], required=False, default=Channel.PHONE)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_null=True, default=None)
    paid = serializers.BooleanField(required=False, allow_null=True, default=None)


STEPS = {
    # step: (who: the permission it needs, "reporter" for the resident's own steps)
    "assign": perms.DESK_DISPATCH,
    "revisit": perms.DESK_DISPATCH,
    "grab": perms.DESK_WORK,
    "accept": perms.DESK_WORK,
    "decline": perms.DESK_WORK,
    "on_the_way": perms.DESK_WORK,
    "start": perms.DESK_WORK,
    "finish": perms.DESK_WORK,
    "leak_test": perms.DESK_WORK,
    "wait": None,  # staff: dispatch or work
    "resume": None,
    "confirm": perms.DESK_REPORT,
    "cancel": perms.DESK_REPORT,
}


class StepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=sorted(STEPS))
    engineer = serializers.IntegerField(required=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    fixed = serializers.BooleanField(required=False, default=True)
    rating = serializers.IntegerField(required=False, allow_null=True, default=None)
    materials = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    labour_fen = serializers.IntegerField(required=False, default=0, min_value=0)


class DeskApi(APIView):
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def ticket(self, request: Request, pk: int) -> Ticket:
        ticket = ticket_get(scope=self.scope(request), ticket_id=pk)
        if ticket is None:
            raise Http404
        return ticket


class CategoryListApi(DeskApi):
    """The company's repair categories in use (a short list: not paged)."""

    required_permission = perms.DESK_TICKETS
    pagination_class = None  # type: ignore[assignment]

    @extend_schema(responses={200: CategorySerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(CategorySerializer(categories_active(), many=True).data)


class TicketListApi(DeskApi):
    """GET: tickets the caller may see, newest first; ?queue=mine (an engineer's), team (the scope's open
    tickets) or pool (waiting for dispatch), breaches first then the soonest due. POST: a resident reports a
    repair for one of their homes; customer service records a call or a walk-in (unit, or estate + location)."""

    required_permission = {"GET": perms.DESK_TICKETS, "POST": perms.DESK_REPORT}

    @extend_schema(
        parameters=[OpenApiParameter("queue", str, enum=list(QUEUES), required=False)],
        responses={200: TicketSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        scope, queue = self.scope(request), request.query_params.get("queue") or ""
        if queue and queue not in QUEUES:
            raise serializers.ValidationError({"queue": [_("One of: mine, team, pool.")]})
        if queue and scope.is_resident:
            raise serializers.ValidationError({"queue": [_("The queues are staff's.")]})
        qs: Any
        if queue == "mine":
            qs = queue_mine(user=api_user(request))
        elif queue == "team":
            qs = queue_team(scope=scope)
        elif queue == "pool":
            qs = queue_pool(scope=scope)
        else:
            qs = tickets_visible(scope=scope).order_by("-created_at", "-pk")
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs.select_related("category"), request, view=self)
        return paginator.get_paginated_response(TicketSerializer(page, many=True).data)

    @extend_schema(request=ReportSerializer, responses={201: TicketSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(ReportSerializer, request)
        category = categories_active().filter(pk=data["category"]).first()
        if category is None:
            raise ApplicationError.for_fields({"category": [_("Choose a category.")]})
        scope, user = self.scope(request), api_user(request)
        if scope.is_resident:
            if data["unit"] is None:
                raise ApplicationError.for_fields({"unit": [_("Choose one of your homes.")]})
            ticket = services.ticket_report(
                user=user,
                unit_id=data["unit"],
                category=category,
                description=data["description"],
                place=data["place"],
                location=data["location"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                preferred_time=data["preferred_time"],
            )
        else:
            ticket = services.ticket_intake(
                by=user,
                scope=scope,
                category=category,
                channel=data["channel"],
                description=data["description"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                place=data["place"],
                unit_id=data["unit"],
                estate_id=data["estate"],
                location=data["location"],
                preferred_time=data["preferred_time"],
                priority=data["priority"],
                paid=data["paid"],
            )
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)


class TicketApi(DeskApi):
    """One ticket with its timeline."""

    required_permission = perms.DESK_TICKETS

    @extend_schema(responses={200: TicketDetailSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(TicketDetailSerializer(self.ticket(request, pk)).data)


def step_run(*, ticket: Ticket, user: User, data: dict[str, Any], resident: bool) -> Ticket:
    """One step, by the service that does it (the caller's permission for it already checked)."""
    step = data["step"]
    if step == "assign":
        engineer = User.objects.filter(pk=data.get("engineer") or 0).first()
        if engineer is None:
            raise ApplicationError.for_fields({"engineer": [_("Choose an engineer.")]})
        return services.ticket_assign(ticket=ticket, engineer=engineer, by=user)
    if step == "revisit":
        return services.ticket_revisit(
            ticket=ticket, by=user, fixed=data["fixed"], note=data["note"], rating=data["rating"]
        )
    if step == "grab":
        return services.ticket_grab(ticket=ticket, engineer=user)
    if step == "accept":
        return services.ticket_accept(ticket=ticket, engineer=user)
    if step == "decline":
        return services.ticket_decline(ticket=ticket, engineer=user, reason=data["reason"])
    if step == "on_the_way":
        return services.ticket_on_the_way(ticket=ticket, engineer=user)
    if step == "start":
        return services.ticket_start(ticket=ticket, engineer=user)
    if step == "finish":
        raise ApplicationError.for_fields(
            {"step": [_("Finish on the engineer's page: it takes the photos of the finished repair.")]}
        )
    if step == "leak_test":
        return services.leak_test_record(ticket=ticket, by=user)
    if step == "wait":
        return services.ticket_wait(ticket=ticket, by=user, reason=data["reason"])
    if step == "resume":
        return services.ticket_resume(ticket=ticket, by=user)
    if step == "confirm":
        return services.ticket_confirm(
            ticket=ticket, user=user, fixed=data["fixed"], rating=data["rating"], comment=data["note"]
        )
    if resident and ticket.reporter_id != user.pk:
        raise ApplicationError(_("Only who reported the repair cancels it."), code="not_reporter", status=403)
    return services.ticket_cancel(ticket=ticket, by=user, reason=data["reason"])


class TicketStepApi(DeskApi):
    """One step of the ticket: {"step": "...", ...} with what that step needs (engineer for assign; reason for
    wait, decline, cancel; fixed + rating for confirm; fixed + note for revisit)."""

    required_permission = perms.DESK_TICKETS

    @extend_schema(request=StepSerializer, responses={200: TicketSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(StepSerializer, request)
        membership = request_membership(request)
        needed = STEPS[data["step"]]
        allowed = (
            needed.granted_to(membership)
            if needed is not None
            else perms.DESK_DISPATCH.granted_to(membership) or perms.DESK_WORK.granted_to(membership)
        )
        if not allowed:
            raise ApplicationError(_("You may not take this step."), code="permission_denied", status=403)
        ticket = self.ticket(request, pk)
        return Response(
            TicketSerializer(
                step_run(ticket=ticket, user=api_user(request), data=data, resident=self.scope(request).is_resident)
            ).data
        )


urlpatterns: list[URLPattern] = [
    path("api/v1/desk/categories/", CategoryListApi.as_view(), name="api-desk-categories"),
    path("api/v1/desk/tickets/", TicketListApi.as_view(), name="api-desk-tickets"),
    path("api/v1/desk/tickets/<int:pk>/", TicketApi.as_view(), name="api-desk-ticket"),
    path("api/v1/desk/tickets/<int:pk>/steps/", TicketStepApi.as_view(), name="api-desk-ticket-steps"),
]

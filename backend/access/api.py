from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.accounts.models import Membership
from backend.accounts.roles import Role
from backend.api.pagination import PageNumberPagination
from backend.api.permissions import api_tenant, api_user

from .models import Invitation
from .selectors import invitation_list, member_list
from .services import ScopeChange, invitation_create, invitation_revoke, membership_access_set


def portal_base_url(request: Request) -> str:
    return f"{request.scheme}://{request.get_host()}"


class InvitationOut(serializers.ModelSerializer):
    state = serializers.CharField()
    invited_by = serializers.CharField(source="invited_by.name")

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "name",
            "roles",
            "state",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
        ]


class InvitationIn(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), allow_empty=False)


class InvitationCreatedOut(InvitationOut):
    link = serializers.CharField()

    class Meta(InvitationOut.Meta):
        fields = [*InvitationOut.Meta.fields, "link"]


class InvitationListApi(APIView):
    required_permission = perms.MEMBERS_MANAGE
    pagination_class = PageNumberPagination  # documents the paged list

    @extend_schema(responses={200: InvitationOut(many=True)})
    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(invitation_list(state=request.query_params.get("state", "")), request)
        return paginator.get_paginated_response(InvitationOut(page, many=True).data)

    @extend_schema(request=InvitationIn, responses={201: InvitationCreatedOut})
    def post(self, request: Request) -> Response:
        data = InvitationIn(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, link = invitation_create(
            invited_by=api_user(request), portal_base_url=portal_base_url(request), **data.validated_data
        )
        invitation.link = link  # type: ignore[attr-defined]
        return Response(InvitationCreatedOut(invitation).data, status=status.HTTP_201_CREATED)


class InvitationRevokeApi(APIView):
    required_permission = perms.MEMBERS_MANAGE

    @extend_schema(request=None, responses={200: InvitationOut})
    def post(self, request: Request, pk: int) -> Response:
        invitation = invitation_revoke(invitation=get_object_or_404(Invitation, pk=pk))
        return Response(InvitationOut(invitation).data)


class MemberOut(serializers.ModelSerializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField(source="user.name")
    email = serializers.EmailField(source="user.email", allow_null=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "user_id",
            "name",
            "email",
            "roles",
            "scope_all",
            "scope_office_ids",
            "scope_estate_ids",
            "created_at",
        ]


class MemberRolesIn(serializers.Serializer):
    """Roles and/or data scope; send what changes."""

    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=False, required=False
    )
    scope_all = serializers.BooleanField(required=False)
    scope_office_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    scope_estate_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class MemberListApi(APIView):
    required_permission = perms.MEMBERS_MANAGE
    pagination_class = PageNumberPagination  # documents the paged list

    @extend_schema(responses={200: MemberOut(many=True)})
    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        qs = member_list(tenant=api_tenant(request), role=request.query_params.get("role", ""))
        page = paginator.paginate_queryset(qs, request)
        return paginator.get_paginated_response(MemberOut(page, many=True).data)


class MemberDetailApi(APIView):
    required_permission = perms.MEMBERS_MANAGE

    @extend_schema(request=MemberRolesIn, responses={200: MemberOut})
    def patch(self, request: Request, pk: int) -> Response:
        # Filtered by this company: an id from another company is simply not found.
        membership = get_object_or_404(Membership, pk=pk, tenant=api_tenant(request))
        data = MemberRolesIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        scope = None
        if "scope_all" in v:
            scope = ScopeChange(
                scope_all=v["scope_all"],
                office_ids=tuple(v["scope_office_ids"]),
                estate_ids=tuple(v["scope_estate_ids"]),
            )
        membership = membership_access_set(
            membership=membership, by=api_user(request), roles=v.get("roles"), scope=scope
        )
        return Response(MemberOut(membership).data)

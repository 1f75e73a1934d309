from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.accounts.roles import Role
from backend.api.pagination import PageNumberPagination
from backend.api.permissions import api_user, request_membership
from backend.properties.scope import Scope
from backend.uploads.fields import UploadSerializerField
from backend.uploads.kinds import ANNOUNCEMENT_IMAGE

from . import announcements as ann
from .kinds import KINDS
from .models import Announcement, Notification, NotificationPreference, QuietHours
from .selectors import notification_list, notification_unread_count
from .services import notification_mark_all_read, notification_mark_read, preferences_set


class NotificationOut(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "payload", "created_at", "read_at"]


class NotificationListApi(APIView):
    """The caller's inbox in this company, newest first. ?unread=1, ?kind=bill.issued, ?after=<id>."""

    required_permission = perms.MEMBER

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool),
            OpenApiParameter("kind", str),
            OpenApiParameter("after", int),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={
            200: inline_serializer(
                "NotificationPageOut",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": NotificationOut(many=True),
                    "unread": serializers.IntegerField(),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        user_id = api_user(request).pk
        after = request.query_params.get("after", "")
        qs = notification_list(
            user_id=user_id,
            unread_only=request.query_params.get("unread") in ("1", "true"),
            kind=request.query_params.get("kind", ""),
            after_id=int(after) if after.isdigit() else 0,
        )
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request)
        response = paginator.get_paginated_response(NotificationOut(page, many=True).data)
        response.data["unread"] = notification_unread_count(user_id=user_id)
        return response


class UnreadCountApi(APIView):
    required_permission = perms.MEMBER

    @extend_schema(responses={200: inline_serializer("UnreadCountOut", {"unread": serializers.IntegerField()})})
    def get(self, request: Request) -> Response:
        return Response({"unread": notification_unread_count(user_id=api_user(request).pk)})


class NotificationReadApi(APIView):
    required_permission = perms.MEMBER

    @extend_schema(request=None, responses={200: NotificationOut})
    def post(self, request: Request, pk: int) -> Response:
        notification = notification_mark_read(user_id=api_user(request).pk, notification_id=pk)
        if notification is None:
            raise Http404
        return Response(NotificationOut(notification).data)


class NotificationReadAllApi(APIView):
    required_permission = perms.MEMBER

    @extend_schema(
        request=None, responses={200: inline_serializer("MarkedReadOut", {"marked_read": serializers.IntegerField()})}
    )
    def post(self, request: Request) -> Response:
        return Response({"marked_read": notification_mark_all_read(user_id=api_user(request).pk)})


class PreferenceKindIO(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[])
    email = serializers.BooleanField()
    sms = serializers.BooleanField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = sorted(KINDS)  # type: ignore[attr-defined]


class PreferencesIO(serializers.Serializer):
    kinds = PreferenceKindIO(many=True)
    quiet_start = serializers.TimeField(allow_null=True, required=False, default=None)
    quiet_end = serializers.TimeField(allow_null=True, required=False, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("quiet_start")) != bool(attrs.get("quiet_end")):
            raise serializers.ValidationError({"quiet_end": ["Give both ends of the quiet hours, or neither."]})
        return attrs


def preferences_of(user_id: int, is_staff: bool) -> dict[str, Any]:
    saved = {p.kind: p for p in NotificationPreference.objects.filter(user_id=user_id)}
    quiet = QuietHours.objects.filter(user_id=user_id).first()
    kinds = [
        {
            "kind": k.code,
            "label": str(k.label),
            "email": saved[k.code].email if k.code in saved else k.email,
            "sms": saved[k.code].sms if k.code in saved else k.sms,
        }
        for k in KINDS.values()
        if is_staff or not k.staff_only
    ]
    return {"kinds": kinds, "quiet_start": quiet.start if quiet else None, "quiet_end": quiet.end if quiet else None}


class PreferencesApi(APIView):
    """Per kind: e-mail and SMS on or off (the inbox is always on); SMS quiet hours."""

    required_permission = perms.MEMBER

    @extend_schema(responses={200: PreferencesIO})
    def get(self, request: Request) -> Response:
        membership = request_membership(request)
        is_staff = perms.STAFF_AREA.granted_to(membership)
        return Response(preferences_of(api_user(request).pk, is_staff))

    @extend_schema(request=PreferencesIO, responses={200: PreferencesIO})
    def put(self, request: Request) -> Response:
        data = PreferencesIO(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        preferences_set(
            user=api_user(request),
            kinds={k["kind"]: k for k in v["kinds"]},
            quiet_start=v["quiet_start"],
            quiet_end=v["quiet_end"],
        )
        return self.get(request)


class AnnouncementOut(serializers.ModelSerializer):
    class Meta:
        model = Announcement
        fields = [
            "id",
            "title",
            "body",
            "pinned",
            "status",
            "publish_at",
            "published_at",
            "target_all",
            "target_estate_ids",
            "target_building_ids",
            "target_roles",
            "recipients_count",
        ]


class AnnouncementIn(serializers.Serializer):
    title = serializers.CharField(max_length=120, allow_blank=True)
    body = serializers.CharField(allow_blank=True)
    target_all = serializers.BooleanField(default=False)
    estate_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    building_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), required=False, default=list)
    publish_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    pinned = serializers.BooleanField(default=False)
    image = UploadSerializerField(kind=ANNOUNCEMENT_IMAGE, required=False, allow_null=True, default=None)


class AnnouncementListApi(APIView):
    """Publishers (admin, customer service): what they manage (for scoped staff: what is addressed within
    their scope) and what they were sent; POST to publish or schedule, within their scope. Others: what they
    were sent."""

    required_permission = {"GET": perms.MEMBER, "POST": perms.ANNOUNCEMENT_PUBLISH}
    pagination_class = PageNumberPagination  # documents the paged list

    @extend_schema(responses={200: AnnouncementOut(many=True)})
    def get(self, request: Request) -> Response:
        qs = ann.announcements_visible(membership=request_membership(request), user_id=api_user(request).pk)
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request)
        return paginator.get_paginated_response(AnnouncementOut(page, many=True).data)

    @extend_schema(request=AnnouncementIn, responses={201: AnnouncementOut})
    def post(self, request: Request) -> Response:
        data = AnnouncementIn(data=request.data)
        data.is_valid(raise_exception=True)
        announcement = ann.announcement_create(
            by=api_user(request), scope=Scope.of(request_membership(request)), **data.validated_data
        )
        return Response(AnnouncementOut(announcement).data, status=status.HTTP_201_CREATED)


class AnnouncementReadApi(APIView):
    required_permission = perms.MEMBER

    @extend_schema(
        request=None, responses={200: inline_serializer("AnnouncementReadOut", {"read": serializers.BooleanField()})}
    )
    def post(self, request: Request, pk: int) -> Response:
        announcement = ann.announcements_for(user_id=api_user(request).pk).filter(pk=pk).first()
        if announcement is None:
            raise Http404
        ann.announcement_mark_read(announcement=announcement, user_id=api_user(request).pk)
        return Response({"read": True})

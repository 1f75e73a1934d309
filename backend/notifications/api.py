from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.pagination import PageNumberPagination
from backend.api.permissions import ANY_MEMBER, api_user

from .models import Notification
from .selectors import notification_list, notification_unread_count
from .services import notification_mark_all_read


class NotificationOut(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "payload", "created_at", "read_at"]


class NotificationListApi(APIView):
    """The caller's inbox in this company, newest first. ?unread=1 for unread only."""

    required_roles = ANY_MEMBER

    @extend_schema(responses={200: NotificationOut(many=True)})
    def get(self, request: Request) -> Response:
        qs = notification_list(user_id=api_user(request).pk, unread_only=request.query_params.get("unread") == "1")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request)
        response = paginator.get_paginated_response(NotificationOut(page, many=True).data)
        response.data["unread"] = notification_unread_count(user_id=api_user(request).pk)
        return response


class NotificationReadAllApi(APIView):
    required_roles = ANY_MEMBER

    @extend_schema(request=None, responses={200: None})
    def post(self, request: Request) -> Response:
        updated = notification_mark_all_read(user_id=api_user(request).pk)
        return Response({"marked_read": updated})

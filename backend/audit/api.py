from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.pagination import PageNumberPagination

from .models import AuditEntry
from .selectors import audit_entry_list


class AuditFilter(serializers.Serializer):
    user_id = serializers.IntegerField(required=False)
    action = serializers.CharField(required=False, allow_blank=True, default="")
    object_type = serializers.CharField(required=False, allow_blank=True, default="")
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    q = serializers.CharField(required=False, allow_blank=True, default="")


class AuditEntryOut(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "user_id",
            "user_name",
            "ip",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
        ]


class AuditLogApi(APIView):
    """操作日志: company admins browse every write made in their company."""

    required_permission = perms.AUDIT_READ
    pagination_class = PageNumberPagination  # documents the paged list

    @extend_schema(parameters=[AuditFilter], responses={200: AuditEntryOut(many=True)})
    def get(self, request: Request) -> Response:
        filters = AuditFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(audit_entry_list(**filters.validated_data), request)
        return paginator.get_paginated_response(AuditEntryOut(page, many=True).data)


__all__ = ["AuditLogApi", "OpenApiParameter"]

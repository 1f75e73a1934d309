"""Reads of erasure requests: this company's (the schema is the scope), a resident's own."""

from __future__ import annotations

from django.db.models import QuerySet

from backend.accounts.models import User

from .models import ErasureRequest


def erasure_requests_for_staff() -> QuerySet[ErasureRequest]:
    return ErasureRequest.objects.order_by("status", "-requested_at", "-id")


def erasure_request_pending_of(*, user: User) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(user=user, status=ErasureRequest.Status.PENDING).first()

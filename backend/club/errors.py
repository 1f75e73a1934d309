"""The booking engine's refusals that callers tell apart: the place is gone (409 "full"), the unit's quota
is used up (409 "quota_reached"). Both are ApplicationErrors with a field, so the API and the pages show
them like any other refusal."""

from __future__ import annotations

from backend.errors import ApplicationError


class Full(ApplicationError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="full", fields={"starts_at": [message]}, status=409)


class QuotaReached(ApplicationError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="quota_reached", fields={"starts_at": [message]}, status=409)

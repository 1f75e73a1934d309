"""Per-client-IP rate limits for the API's unauthenticated endpoints. A view names its THROTTLE_RATES entry:

    throttle_classes = [ClientIpThrottle]
    throttle_scope = "token"

Over the limit DRF raises Throttled, which the error handler answers 429
{"error": {"code": "throttled", ...}} with Retry-After."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from backend.accounts.throttling import rate_limit_hit
from backend.client_ip import client_ip

THROTTLED = OpenApiResponse(
    description='Too many attempts from this address: {error: {code: "throttled", message, fields}}, '
    "with Retry-After (seconds)"
)


class ClientIpThrottle(BaseThrottle):
    """Counts the view's unsafe requests per client IP (reads are free)."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        self._wait = rate_limit_hit(scope=view.throttle_scope, ip=client_ip(request.META))  # type: ignore[attr-defined]
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait

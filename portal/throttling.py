"""Rate limits on the portal's pages that anyone may submit without signing in (sign-up, password reset,
invitations, the sign-up hand-off): per client IP, the rates in THROTTLE_RATES, counted by
backend/accounts/throttling.py like the API's. Over the limit the page says when to try again, with status
429 and Retry-After, and the view does not run."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from backend.accounts.throttling import rate_limit_hit
from backend.client_ip import client_ip

View = Callable[..., HttpResponseBase]


def throttled_response(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    response = render(request, "portal/throttled.html", {"minutes": math.ceil(retry_after / 60)}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(scope: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable[[View], View]:
    """Count the view's `methods` requests against THROTTLE_RATES[scope] (showing the form stays free)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method in methods:
                wait = rate_limit_hit(scope=scope, ip=client_ip(request.META))
                if wait is not None:
                    return throttled_response(request, retry_after=wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

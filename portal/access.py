"""Page-level access: sign-in required, then the role the page needs in this company."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from backend.accounts.roles import STAFF_ROLES, Role

View = Callable[..., HttpResponseBase]


def role_required(roles: Iterable[str]) -> Callable[[View], View]:
    roles = frozenset(roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership = getattr(request, "membership", None)
            if not request.user.is_authenticated or membership is None:
                return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")
            if not membership.has_any_role(roles):
                raise PermissionDenied("This page needs another role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(STAFF_ROLES)
admin_required = role_required({Role.COMPANY_ADMIN})
resident_required = role_required({Role.RESIDENT})

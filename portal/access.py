"""Page-level access, deny by default. Every portal view declares who may open it:

- `@public_view`: anyone (sign-in, sign-up, password reset, invitations, the hand-off, the root redirect);
- `@permission_required(PERMISSION)`: an active member of this company granted that permission of the
  catalogue (backend/accounts/permissions.py). A page that also writes checks the write's permission on POST
  with `permission_check` (403 without it).

PortalAccessMiddleware reads the declaration of every view of the portal's URLconfs before the view runs: a
visitor without an active membership here is sent to sign in, a member the page does not admit gets 403, and
a view that declares nothing is closed to everyone (like an API view that names no roles). The decorators
apply the same rule themselves, so a view called outside the middleware is no more open.

A rule is a PageAccess; `permission_required` builds it from the catalogue's roles for the permission."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from backend.accounts.permissions import Permission

View = Callable[..., HttpResponseBase]

ACCESS_ATTRIBUTE = "portal_access"


@dataclass(frozen=True)
class PageAccess:
    """Who may open a page: anyone (public), or active members holding any of `roles`; or, for pages that
    are not a company's (the merchants' portal, portal/merchant/access.py), whoever `check(request)` admits:
    it answers None to let the request through, else the answer (sign in) or raises PermissionDenied."""

    public: bool = False
    roles: frozenset[str] = frozenset()
    check: Callable[[HttpRequest], HttpResponseBase | None] | None = None

    def admits(self, membership: Any) -> bool:
        return self.public or (membership is not None and membership.has_any_role(self.roles))


PUBLIC = PageAccess(public=True)


def access_of(view: Any) -> PageAccess | None:
    """The rule a view declares (None: it declares none). functools.wraps copies it through other decorators."""
    access = getattr(view, ACCESS_ATTRIBUTE, None)
    return access if isinstance(access, PageAccess) else None


def public_view(view: View) -> View:
    """Mark a view as open to anyone, signed in or not."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def _sign_in(request: HttpRequest) -> HttpResponseBase:
    try:
        login = reverse("portal:login")
    except NoReverseMatch:  # the platform domain: no company to sign in to
        raise PermissionDenied("This page is not public.") from None
    return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")


def access_denial(request: HttpRequest, access: PageAccess | None) -> HttpResponseBase | None:
    """None when the request may reach the view; otherwise the answer (sign in), or PermissionDenied (403)."""
    if access is not None and access.public:
        return None
    if access is not None and access.check is not None:
        return access.check(request)
    membership = getattr(request, "membership", None)
    if not request.user.is_authenticated or membership is None:
        return _sign_in(request)
    if access is None:
        raise PermissionDenied("This page declares no access rule.")
    if not access.admits(membership):
        raise PermissionDenied("This page needs another role.")
    return None


def permission_required(permission: Permission) -> Callable[[View], View]:
    access = PageAccess(roles=permission.roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            denial = access_denial(request, access)
            if denial is not None:
                return denial
            return view(request, *args, **kwargs)

        setattr(wrapped, ACCESS_ATTRIBUTE, access)
        return wrapped

    return decorator


def permission_check(request: HttpRequest, permission: Permission) -> None:
    """Within a page: refuse (403) an action its permission does not grant the caller."""
    if not permission.granted_to(getattr(request, "membership", None)):
        raise PermissionDenied(f"This action needs the permission {permission.code}.")

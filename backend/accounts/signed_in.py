"""The signed-in person and their active membership in this company, read in one query.

Every signed-in request needs both: the user (from the session, or from a bearer token) and the
membership that says what they may do here. Read apart, that is two queries per request; here the user's
query (the session backend's `get_user`, the token lookup) brings the membership along through a LEFT JOIN
on (user, this company, active), and remembers it on that user object for the rest of the request. When
the user has no active membership here the join finds none, which is remembered too: the answer is the same
as asking `membership_get_active` a moment later, without the second query.

What is remembered lives on the request's own user object only, for the company it was read in, and is
never consulted for any other company; `membership_get_active` itself always reads the table.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import FilteredRelation, Model, Q, QuerySet

from tenants.models import Tenant

from .models import Membership, User
from .services import membership_get_active

M = TypeVar("M", bound=Model)

HERE = "membership_here"  # the FilteredRelation's alias
_REMEMBERED = "_membership_here"  # on the user object: (tenant id, Membership or None)


def with_membership_here(qs: QuerySet[M], *, tenant_id: int, user_path: str = "") -> QuerySet[M]:
    """`qs` (of users, or of rows with a `user` foreign key when user_path="user") with the user's active
    membership in company `tenant_id` joined in, as `HERE` (None when there is none)."""
    memberships = f"{user_path}__memberships" if user_path else "memberships"
    condition = Q(**{f"{memberships}__tenant_id": tenant_id, f"{memberships}__is_active": True})
    # The alias hangs off the queryset's own model (a user, or a token), whatever the path it joins through.
    return qs.annotate(**{HERE: FilteredRelation(memberships, condition=condition)}).select_related(HERE)


def remember_membership_here(user: User, *, tenant_id: int, joined: Any) -> None:
    """Keep what `with_membership_here` found for `user` on the row `joined` it read (the user itself, or
    the token): its membership here (or None), tied to this user object so the membership's `user` is the
    request's user."""
    membership = getattr(joined, HERE, None)
    if membership is not None:
        membership.user = user
    setattr(user, _REMEMBERED, (tenant_id, membership))


def membership_of_signed_in(*, user: User, tenant: Tenant) -> Membership | None:
    """The active membership of the request's signed-in `user` in `tenant`: what was read with the user when
    that was this company, else a query."""
    remembered = getattr(user, _REMEMBERED, None)  # through request.user's lazy wrapper to the user itself
    if remembered is not None and remembered[0] == tenant.pk:
        return remembered[1]  # type: ignore[no-any-return]
    return membership_get_active(user=user, tenant=tenant)


def current_company_id() -> int | None:
    """The company of the connection's schema (django-tenants' `connection.tenant`), None on the platform."""
    from tenants.db import connection

    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, Tenant) or tenant.pk is None or tenant.schema_name == "public":
        return None
    return int(tenant.pk)

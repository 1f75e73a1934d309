"""The signed-in person and their active membership in this company, read in one query.

Every signed-in request needs both: the user (from the session, or from a bearer token) and the
membership that says what they may do here. Read apart, that is two queries per request; here the user's
query (the session backend's `get_user`, the token lookup) brings the membership along through a LEFT JOIN
on (user, this company, active), and remembers it on that user object for the rest of the request. When
the user has no active membership here the join finds none, which is remembered too: the answer is the same
as asking `membership_get_active` a moment later, without the second query.

The query is written once per process (`JoinedRead`: the columns from the models' own fields, the rows
turned into instances as the ORM would, through each field's database converters) instead of built by the
ORM on every request: the ORM spent about 1.7 ms of CPU compiling this one statement, most of a small API
request's cost, for SQL that never changes. Tables are named unqualified, as the ORM names them, so the
connection's search_path (this company's schema, then public) finds them.

What is remembered lives on the request's own user object only, for the company it was read in, and is
never consulted for any other company; `membership_get_active` itself always reads the table.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Model

from tenants.models import Tenant

from .models import Membership, User
from .services import membership_get_active

_REMEMBERED = "_membership_here"  # on the user object: (tenant id, Membership or None)


class JoinedRead:
    """One SELECT of whole rows of several models (`parts`: model and table alias, in the order the
    instances come back), with `tail` the rest of the statement (FROM, joins and WHERE with %s parameters).
    A part whose primary key comes back NULL (a LEFT JOIN that found nothing) comes back as None."""

    def __init__(self, parts: Sequence[tuple[type[Model], str]], tail: str) -> None:
        self.parts = tuple(parts)
        self.tail = tail

    @functools.cached_property
    def _compiled(self) -> tuple[str, list[tuple[type[Model], list[str], list[tuple[int, list[Any], Any]], int]]]:
        connection = connections["default"]
        quote = connection.ops.quote_name
        columns: list[str] = []
        layout = []
        for model, alias in self.parts:
            fields = model._meta.concrete_fields
            start = len(columns)
            converters = []
            for i, field in enumerate(fields):
                columns.append(f"{alias}.{quote(str(field.column))}")
                col = field.get_col(alias)
                found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if found:
                    converters.append((i, found, col))
            pk_index = [f.attname for f in fields].index(model._meta.pk.attname)
            layout.append((model, [f.attname for f in fields], converters, start + pk_index))
        return f"SELECT {', '.join(columns)} {self.tail}", layout

    def first(self, params: Sequence[Any]) -> list[Any] | None:
        """The instances of the first row (None for a part its joins did not find), or None without a row."""
        sql, layout = self._compiled
        connection = connections["default"]
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            row = cursor.fetchone()
        if row is None:
            return None
        out: list[Any] = []
        start = 0
        for model, attnames, converters, pk_at in layout:
            values = list(row[start : start + len(attnames)])
            start += len(attnames)
            if row[pk_at] is None:
                out.append(None)
                continue
            for i, found, col in converters:
                for converter in found:
                    values[i] = converter(values[i], col, connection)
            out.append(model.from_db(connection.alias, attnames, values))
        return out


def membership_join(user_alias: str) -> str:
    """The LEFT JOIN of the user's active membership in the company given as the next %s parameter."""
    table = Membership._meta.db_table
    return f"LEFT OUTER JOIN {table} m ON (m.user_id = {user_alias}.id AND m.tenant_id = %s AND m.is_active)"


_USER_HERE = JoinedRead(
    [(User, "u"), (Membership, "m")],
    f"FROM {User._meta.db_table} u {membership_join('u')} WHERE u.id = %s LIMIT 1",
)


def user_with_membership_here(user_id: Any, *, tenant_id: int) -> User | None:
    """The user `user_id` (None if there is none), with their active membership in company `tenant_id`
    remembered on it (see `membership_of_signed_in`)."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None  # what the ORM's pk lookup would find for a session holding something else
    found = _USER_HERE.first([tenant_id, user_id])
    if found is None:
        return None
    user, membership = found
    remember_membership(user, tenant_id=tenant_id, membership=membership)
    return user  # type: ignore[no-any-return]


def remember_membership(user: User, *, tenant_id: int, membership: Membership | None) -> None:
    """Keep `membership` (the user's active membership in `tenant_id`, or None: they have none there) on
    this user object, tied to it so the membership's `user` is the request's user."""
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

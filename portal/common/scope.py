"""The caller's data scope (数据权限): every lookup by id in a staff page goes through it (404 outside it)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from backend.properties.models import Unit
from backend.properties.scope import Scope
from tenants.http import CompanyRequest


def scope_of(request: CompanyRequest) -> Scope:
    return Scope.of(request.membership)


def units_in_scope(request: CompanyRequest) -> QuerySet[Unit]:
    return scope_of(request).filter_units(Unit.objects.all())


def unit_in_scope_or_404(request: CompanyRequest, pk: int) -> Unit:
    unit = units_in_scope(request).select_related("office", "estate", "building").filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit

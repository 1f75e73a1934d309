"""The unit 360° page (联查) is a list of sections. Each later module (bills, bookings, orders, tickets)
registers its own with `unit_section`, and the page shows every section the viewer's roles allow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from backend.accounts import permissions as perms
from backend.accounts.models import Membership

from .masking import may_see_full
from .models import Unit
from .selectors import unit_occupancies


@dataclass(frozen=True)
class UnitSection:
    key: str
    title: Any
    template: str
    context: Callable[[Unit, Membership], dict[str, Any]]
    roles: frozenset[str]
    order: int


UNIT_SECTIONS: dict[str, UnitSection] = {}


def unit_section(
    *, key: str, title: Any, template: str, roles: frozenset[str] = perms.REGISTRY_READ.roles, order: int = 100
) -> Callable[[Callable[[Unit, Membership], dict[str, Any]]], Callable[[Unit, Membership], dict[str, Any]]]:
    def register(fn: Callable[[Unit, Membership], dict[str, Any]]) -> Callable[[Unit, Membership], dict[str, Any]]:
        UNIT_SECTIONS[key] = UnitSection(key, title, template, fn, roles, order)
        return fn

    return register


def unit_sections_for(unit: Unit, membership: Membership) -> list[dict[str, Any]]:
    sections = sorted(UNIT_SECTIONS.values(), key=lambda s: (s.order, s.key))
    return [
        {"key": s.key, "title": s.title, "template": s.template, **s.context(unit, membership)}
        for s in sections
        if membership.has_any_role(s.roles)
    ]


@unit_section(
    key="people", title=_("People living here"), template="portal/staff/registry/sections/people.html", order=10
)
def _people(unit: Unit, membership: Membership) -> dict[str, Any]:
    return {"occupancies": list(unit_occupancies(unit=unit, current_only=True)), "full_view": may_see_full(membership)}


@unit_section(
    key="history",
    title=_("Move-in and move-out history"),
    template="portal/staff/registry/sections/history.html",
    order=20,
)
def _history(unit: Unit, membership: Membership) -> dict[str, Any]:
    return {"occupancies": list(unit_occupancies(unit=unit))}


@unit_section(
    key="parking", title=_("Parking spaces"), template="portal/staff/registry/sections/parking.html", order=30
)
def _parking(unit: Unit, membership: Membership) -> dict[str, Any]:
    return {"spaces": list(unit.parking_spaces.all())}


@unit_section(
    key="bindings", title=_("Binding requests"), template="portal/staff/registry/sections/bindings.html", order=40
)
def _bindings(unit: Unit, membership: Membership) -> dict[str, Any]:
    return {"requests": list(unit.binding_requests.all()[:20])}

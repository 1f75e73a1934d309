"""The club world of tests/backend/club (company alpha: 阳光花园 with a gym and a tennis court, 江景苑 of another
office), seen through the pages at the real current time: bookings are made for tomorrow and later."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from backend.accounts.models import Membership
from backend.club import booking as engine
from backend.club.models import Booking, Facility
from tenants.db import company_time_zone, connection
from tests.backend.club.conftest import Club
from tests.backend.club.conftest import world as world  # noqa: PLC0414  (the club fixture)


def later(days: int, hhmm: str) -> dt.datetime:
    """Today + `days` at hh:mm in the company's zone."""
    tz = company_time_zone()
    hour, minute = (int(x) for x in hhmm.split(":"))
    day = dt.datetime.now(tz).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def book(
    world: Club, user: Any, facility: Facility | None = None, *, at: dt.datetime | None = None, **kw: Any
) -> Booking:
    facility = facility or world.gym
    start = at or later(1, "10:00")
    unit = world.units[1] if user == world.neighbour else world.home
    minutes = kw.pop("minutes", facility.cell_minutes)
    return engine.booking_create(
        facility=facility, user=user, unit=unit, starts_at=start, ends_at=start + dt.timedelta(minutes=minutes), **kw
    )


@pytest.fixture
def as_user(tenant_a: Any, client_for: Callable[..., Client]) -> Callable[[Any], Client]:
    def make(user: Any) -> Client:
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        return client

    return make


@pytest.fixture
def staff(world: Club, tenant_a: Any, member: Any, as_user: Any) -> Callable[..., Client]:
    """staff(roles, office_ids=None) -> a signed-in staff client (scoped to those offices when given)."""

    def make(roles: list[str] | None = None, office_ids: list[int] | None = None) -> Client:
        user = member(tenant_a, roles or ["customer_service"])
        if office_ids is not None:
            Membership.objects.filter(user=user, tenant=tenant_a).update(scope_all=False, scope_office_ids=office_ids)
        return as_user(user)

    return make

"""Payments tests: the billing world (tests/backend/billing/conftest.py) billed for January and February,
a resident of world.units[0] with a signed-in client, and localstripe for the Stripe protocol."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from backend.billing.models import BillLine
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.billing.selectors import lines_with_balances
from backend.properties import services as registry
from backend.properties.models import Person
from tenants.db import connection
from tests.backend.billing.conftest import EVERYTHING, World, world  # noqa: F401  (the fixture)

JAN = dt.date(2026, 1, 1)
FEB = dt.date(2026, 2, 1)


def post_month(period: dt.date) -> Any:
    return bill_run_execute(bill_run_create(period=period, scope=EVERYTHING, by=None).pk)


def owed(line: BillLine) -> int:
    return int(lines_with_balances(BillLine.objects.filter(pk=line.pk)).get().owed)  # type: ignore[attr-defined]


def lines_of(unit_id: int, period: dt.date = JAN) -> list[BillLine]:
    return list(BillLine.objects.filter(unit_id=unit_id, period_start=period).order_by("fee_item__priority", "pk"))


@dataclass
class Home:
    world: World
    user: Any
    client: Client
    unit: Any

    @property
    def jan(self) -> list[BillLine]:
        return lines_of(self.unit.pk, JAN)


def move_in(unit: Any, user: Any, name: str = "王业主", phone: str = "13811112222") -> None:
    person = registry.person_create(name=name, phone=phone)
    Person.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    registry.occupancy_move_in(
        unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2025, 1, 1), scope=EVERYTHING
    )


@pytest.fixture
def home(world: World, tenant_a: Any, member: Any, client_for: Any) -> Home:  # noqa: F811
    """January billed for every unit of the world; a resident (王业主) lives in world.units[0]."""
    post_month(JAN)
    user = member(tenant_a, ["resident"])
    connection.set_tenant(tenant_a)
    move_in(world.units[0], user)
    client = client_for(tenant_a, user)
    connection.set_tenant(tenant_a)
    return Home(world, user, client, world.units[0])


@pytest.fixture
def finance(member: Any, tenant_a: Any) -> Any:
    """A finance member of company alpha (who refunds)."""
    user = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    return user


def stripe_answer_lost(monkeypatch: pytest.MonkeyPatch, method: str) -> list[str]:
    """Stripe does what StripeProvider.<method> asks, then the connection times out before the answer reaches
    us (once). Returns the ids of what Stripe made."""
    from backend.payments.providers import GatewayUnavailable, StripeProvider

    made: list[str] = []
    real = getattr(StripeProvider, method)

    def timed_out(self: StripeProvider, **kwargs: Any) -> Any:
        made.append(real(self, **kwargs).id)
        monkeypatch.setattr(StripeProvider, method, real)
        raise GatewayUnavailable("Read timed out")

    monkeypatch.setattr(StripeProvider, method, timed_out)
    return made

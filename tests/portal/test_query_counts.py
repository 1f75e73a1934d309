"""The pages and API lists with many rows make a fixed number of queries, however many rows they show: a
field read per row that the selector did not fetch (a deferred column, a relation not joined) fails here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.access.services import api_token_issue
from backend.billing.models import DunningContact, FeeItem
from backend.billing.periods import add_months
from backend.properties.models import Occupancy, Person, Unit
from tests.backend.billing.conftest import World
from tests.backend.billing.conftest import world as world  # noqa: PLC0414  (the billed world fixture)
from tests.backend.billing.test_arrears import charge

TODAY = timezone.localdate()


def queries(client: Client, path: str, tenant: Any, **headers: str) -> int:
    """The queries of a request to `path`, after one request that fills the caches (session, settings)."""
    client.get(path, **headers)
    connection.set_tenant(tenant)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **headers)
    connection.set_tenant(tenant)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured.captured_queries)


def bill_months(unit: Unit, item: FeeItem, months: range, staff: Any = None) -> None:
    """A line a month, overdue, with an occupant on the unit and (with staff) a contact logged."""
    for n in months:
        period = add_months(TODAY.replace(day=1), -(n + 1))
        charge(unit, item, period, 1000 + n, due=period.replace(day=10))
    if not Occupancy.objects.filter(unit=unit).exists():
        person = Person.objects.create(name=f"业主{unit.pk}", phone="13912345678")
        Occupancy.objects.create(unit=unit, person=person, role="owner", start_date=dt.date(2025, 1, 1))
    if staff is not None:
        DunningContact.objects.create(
            unit=unit,
            staff=staff,
            channel="phone",
            category="promised",
            promised_date=TODAY + dt.timedelta(days=3),
            contacted_at=timezone.now(),
        )


@pytest.fixture
def resident_of(tenant_a: Any, member: Callable[..., Any], client_for: Callable[..., Client]) -> Callable[..., Any]:
    def make(unit: Unit) -> tuple[Client, str]:
        user = member(tenant_a, ["resident"])
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        person = Person.objects.create(name="住户", user=user)
        Occupancy.objects.create(unit=unit, person=person, role="tenant", start_date=dt.date(2025, 1, 1))
        _token, raw = api_token_issue(user=user)
        return client, Client(HTTP_HOST=f"{tenant_a.slug}.localhost", HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


def test_a_residents_bills_cost_the_same_queries_for_two_lines_or_twenty(
    world: World, tenant_a: Any, resident_of: Any
) -> None:
    home = world.units[0]
    client, api = resident_of(home)
    bill_months(home, world.garbage, range(2))
    pages = ["/resident/bills/", f"/resident/bills/{home.pk}/statement/"]
    few = {path: queries(client, path, tenant_a) for path in pages}
    api_few = queries(api, "/api/v1/bills/?unpaid=1", tenant_a)
    bill_months(home, world.management, range(2, 20))
    assert {path: queries(client, path, tenant_a) for path in pages} == few
    assert queries(api, "/api/v1/bills/?unpaid=1", tenant_a) == api_few
    # Beside the search_path the test connection sets: the user with their membership, the homes, the lines, the
    # account, the unread count; the statement adds the ledger, its opening account and the deposits.
    assert few == {"/resident/bills/": 6, f"/resident/bills/{home.pk}/statement/": 9}
    assert api_few == 5  # the token with its user and membership, the count, the page's ids, their balances


def test_staff_lists_cost_the_same_queries_for_two_units_or_eight(
    world: World, tenant_a: Any, member: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    user = member(tenant_a, ["finance", "customer_service"])
    client = client_for(tenant_a, user)
    connection.set_tenant(tenant_a)
    _token, raw = api_token_issue(user=user)
    api = Client(HTTP_HOST=f"{tenant_a.slug}.localhost", HTTP_AUTHORIZATION=f"Bearer {raw}")
    for unit in world.units[:2]:
        bill_months(unit, world.garbage, range(3), staff=user)
    statement = f"/staff/billing/units/{world.units[0].pk}/statement/"
    pages = ["/staff/billing/arrears/", "/staff/units/", statement]
    few = {path: queries(client, path, tenant_a) for path in pages}
    api_few = queries(api, "/api/v1/arrears/", tenant_a)
    for unit in world.all_units[2:]:
        bill_months(unit, world.management, range(6), staff=user)
    bill_months(world.units[0], world.management, range(3, 12))
    assert {path: queries(client, path, tenant_a) for path in pages} == few
    assert queries(api, "/api/v1/arrears/", tenant_a) == api_few
    # Beside the search_path: the user with their membership, the filters' estates, buildings and fee items,
    # the list with its totals, units, occupants and last contacts in one statement, the unread count.
    assert few["/staff/billing/arrears/"] == 7
    assert api_few == 3  # the token with its user and membership, the list


def test_a_residents_home_costs_the_same_queries_for_one_home_or_three(
    world: World, tenant_a: Any, resident_of: Any
) -> None:
    client, _api = resident_of(world.units[0])
    bill_months(world.units[0], world.garbage, range(2))
    few = queries(client, "/resident/", tenant_a)
    user_id = Occupancy.objects.filter(unit=world.units[0]).values_list("person__user_id", flat=True).get()
    person = Person.objects.get(user_id=user_id)
    for unit in world.units[1:3]:
        Occupancy.objects.create(unit=unit, person=person, role="owner", start_date=dt.date(2025, 1, 1))
        bill_months(unit, world.management, range(4))
    assert queries(client, "/resident/", tenant_a) == few
    # Beside the search_path: the user with their membership, the homes, what they owe (one query for all),
    # the company's settings, the announcements, the binding requests, the unread count, the upcoming bookings,
    # the parcels waiting (the gate's card).
    assert few == 10

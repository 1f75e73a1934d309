"""Which bill runs a member may see and start: one selector (billing.selectors.bill_runs_visible) for the
portal and the API. A member scoped to office A sees runs lying entirely within A; a run that also covers
office B, or the whole company, would show and post B's bills."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.accounts.models import Membership
from backend.billing.models import BillLine, BillRun
from backend.billing.runs import bill_run_create, bill_run_start
from backend.billing.selectors import bill_runs_visible
from backend.errors import ApplicationError
from backend.properties import services as registry
from backend.properties.scope import Scope
from tenants.db import connection

from .conftest import EVERYTHING, World

JUN = dt.date(2026, 6, 1)


@pytest.fixture
def office_b(world: World) -> Any:
    office = registry.office_create(name="乙管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="乙小区", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="乙1栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=2, area="80", scope=EVERYTHING
    )
    return office


@pytest.fixture
def runs(world: World, office_b: Any) -> dict[str, BillRun]:
    """One run per shape: office A only, an estate of A, a building of A, A and B together, B only, and the
    whole company."""
    return {
        "a": bill_run_create(period=JUN, scope=EVERYTHING, by=None, office_ids=[world.office.pk]),
        "a_estate": bill_run_create(period=JUN, scope=EVERYTHING, by=None, estate_ids=[world.estate.pk]),
        "a_building": bill_run_create(period=JUN, scope=EVERYTHING, by=None, building_ids=[world.building.pk]),
        "a_and_b": bill_run_create(period=JUN, scope=EVERYTHING, by=None, office_ids=[world.office.pk, office_b.pk]),
        "b": bill_run_create(period=JUN, scope=EVERYTHING, by=None, office_ids=[office_b.pk]),
        "company": bill_run_create(period=JUN, scope=EVERYTHING, by=None),
    }


def scope_of_office(office: Any) -> Scope:
    return Scope(all_offices=False, office_ids=frozenset({office.pk}))


def visible(scope: Scope, runs: dict[str, BillRun]) -> set[str]:
    ids = set(bill_runs_visible(scope=scope).values_list("pk", flat=True))
    return {name for name, run in runs.items() if run.pk in ids}


def test_a_member_of_one_office_sees_only_runs_entirely_within_it(
    world: World, office_b: Any, runs: dict[str, BillRun]
) -> None:
    assert visible(scope_of_office(world.office), runs) == {"a", "a_estate", "a_building"}
    assert visible(scope_of_office(office_b), runs) == {"b"}
    assert visible(EVERYTHING, runs) == set(runs)
    # scoped to one estate: runs of that estate or its buildings, never the office's whole run
    estate_only = Scope(all_offices=False, estate_ids=frozenset({world.estate.pk}))
    assert visible(estate_only, runs) == {"a_estate", "a_building"}
    # residents see no runs at all
    assert visible(Scope(all_offices=False, resident_user_id=1), runs) == set()


def test_starting_a_run_outside_ones_scope_is_not_found_and_queues_nothing(
    world: World, office_b: Any, runs: dict[str, BillRun], django_capture_on_commit_callbacks: Any
) -> None:
    scope = scope_of_office(world.office)
    for name in ("a_and_b", "b", "company"):
        with django_capture_on_commit_callbacks() as queued, pytest.raises(ApplicationError) as caught:
            bill_run_start(run=runs[name], scope=scope, by=None)
        assert caught.value.status == 404, name
        assert not queued
        runs[name].refresh_from_db()
        assert runs[name].status == BillRun.Status.PREVIEW
    with django_capture_on_commit_callbacks() as queued:
        bill_run_start(run=runs["a"], scope=scope, by=None)
    assert len(queued) == 1


def _scoped_finance(tenant: Any, member: Any, client_for: Any, office: Any) -> Any:
    user = member(tenant, ["finance"])
    Membership.objects.filter(user=user, tenant=tenant).update(scope_all=False, scope_office_ids=[office.pk])
    client = client_for(tenant, user)
    connection.set_tenant(tenant)
    return client


def test_portal_and_api_show_and_start_the_same_runs(
    world: World,
    office_b: Any,
    runs: dict[str, BillRun],
    tenant_a: Any,
    member: Any,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = _scoped_finance(tenant_a, member, client_for, world.office)
    expected = {runs[n].pk for n in ("a", "a_estate", "a_building")}
    api_ids = {r["id"] for r in client.get("/api/v1/bill-runs/?page_size=50").json()["results"]}
    page = client.get("/staff/billing/runs/").content.decode()
    portal_ids = {run.pk for run in runs.values() if f'data-run="{run.pk}"' in page}
    assert api_ids == portal_ids == expected
    for name in ("a_and_b", "b", "company"):
        pk = runs[name].pk
        assert client.get(f"/api/v1/bill-runs/{pk}/").status_code == 404, name
        assert client.get(f"/staff/billing/runs/{pk}/").status_code == 404, name
        assert client.get(f"/staff/billing/runs/{pk}/progress/").status_code == 404, name
        with django_capture_on_commit_callbacks() as queued:
            assert client.post(f"/api/v1/bill-runs/{pk}/start/", content_type="application/json").status_code == 404
            assert client.post(f"/staff/billing/runs/{pk}/").status_code == 404
        assert not queued, name
    connection.set_tenant(tenant_a)
    assert set(BillRun.objects.values_list("status", flat=True)) == {BillRun.Status.PREVIEW}
    assert not BillLine.objects.exists()


def test_creating_a_run_reaching_another_office_is_a_field_error(
    world: World, office_b: Any, tenant_a: Any, member: Any, client_for: Any
) -> None:
    client = _scoped_finance(tenant_a, member, client_for, world.office)
    both = {"period": "2026-06", "office_ids": [world.office.pk, office_b.pk]}
    response = client.post("/api/v1/bill-runs/", both, content_type="application/json")
    assert response.status_code == 400 and "office_ids" in response.json()["error"]["fields"]
    connection.set_tenant(tenant_a)
    assert not BillRun.objects.exists()

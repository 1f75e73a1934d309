"""Billing API, setup side: fee items, standards, assignments and bill runs over HTTP, scope filtering, and
the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from backend.accounts.models import Membership
from backend.billing.models import BillLine, BillRun, FeeAssignment, FeeItem, FeeStandard
from backend.billing.runs import bill_run_execute
from backend.properties import services as registry
from backend.properties.models import Unit

from .conftest import EVERYTHING, World, make_item

JUN = dt.date(2026, 6, 1)


def make_api(tenant: Any, member: Any, client_for: Any) -> Callable[..., Client]:
    """make(*roles, office_ids=None) -> a client on the company signed in with those roles (scoped to offices
    when office_ids is given). Leaves the connection on the company for ORM use."""

    def make(*roles: str, office_ids: list[int] | None = None) -> Client:
        user = member(tenant, list(roles))
        if office_ids is not None:
            Membership.objects.filter(user=user, tenant=tenant).update(scope_all=False, scope_office_ids=office_ids)
        client = client_for(tenant, user)
        client.user = user  # type: ignore[attr-defined]
        connection.set_tenant(tenant)
        return client

    return make


@pytest.fixture
def api(tenant_a: Any, member: Any, client_for: Any) -> Callable[..., Client]:
    """api(*roles, office_ids=None) -> a client on company alpha (see make_api)."""
    return make_api(tenant_a, member, client_for)


def post(client: Client, path: str, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(path, body, content_type="application/json", **extra)


def fields(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content[:400]
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    return body["fields"]


# --- fee items ------------------------------------------------------------------------------------------


def test_finance_creates_lists_and_changes_a_fee_item(world: World, api: Any, tenant_a: Any) -> None:
    finance = api("finance")
    response = post(
        finance,
        "/api/v1/fee-items/",
        {
            "office": world.office.pk,
            "code": "parking",
            "name": "月租车位费",
            "category": "parking",
            "method": "fixed",
            "late_fee_mode": "daily_percent",
            "late_fee_daily_percent": "0.03",
            "late_fee_cap": 5000,
        },
    )
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["cycle"] == "monthly" and item["late_fee_daily_percent"] == "0.0300"
    assert item["late_fee_cap"] == 5000 and item["late_fee_fixed_display"] == "¥0.00"
    connection.set_tenant(tenant_a)
    assert FeeItem.objects.get(pk=item["id"]).office_id == world.office.pk

    listed = finance.get(f"/api/v1/fee-items/?office={world.office.pk}").json()
    assert listed["count"] == 4
    assert {row["code"] for row in listed["results"]} == {"mgmt", "garbage", "water", "parking"}

    changed = finance.patch(
        f"/api/v1/fee-items/{item['id']}/", {"name": "固定车位费", "priority": 5}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["priority"]) == ("固定车位费", 5)
    assert finance.get(f"/api/v1/fee-items/{item['id']}/").json()["name"] == "固定车位费"
    # engineers may read the setup, not change it
    engineer = api("engineer")
    assert engineer.get(f"/api/v1/fee-items/{item['id']}/").status_code == 200
    assert (
        engineer.patch(f"/api/v1/fee-items/{item['id']}/", {"name": "x"}, content_type="application/json").status_code
        == 403
    )


def test_fee_item_input_errors_are_field_errors(world: World, api: Any) -> None:
    finance = api("finance")
    base = {"office": world.office.pk, "code": "elec", "name": "电费", "category": "electricity", "method": "meter"}
    assert "meter_kind" in fields(post(finance, "/api/v1/fee-items/", base))  # the service's rule
    assert "method" in fields(post(finance, "/api/v1/fee-items/", {**base, "method": "guess"}))
    assert "late_fee_cap" in fields(post(finance, "/api/v1/fee-items/", {**base, "late_fee_cap": -1}))
    assert "code" in fields(post(finance, "/api/v1/fee-items/", {**base, "code": "mgmt", "method": "fixed"}))
    # an office that does not exist (or is not the caller's) is not found
    assert post(finance, "/api/v1/fee-items/", {**base, "office": world.office.pk + 999}).status_code == 404
    # how an item is computed is fixed once it has billed
    bill_run_execute(_run(world).pk)
    response = finance.patch(
        f"/api/v1/fee-items/{world.garbage.pk}/", {"method": "area"}, content_type="application/json"
    )
    assert "method" in fields(response)


def _run(world: World, period: dt.date = JUN) -> BillRun:
    from backend.billing.runs import bill_run_create

    return bill_run_create(period=period, scope=EVERYTHING, by=None)


# --- standards and assignments ---------------------------------------------------------------------------


def test_standards_are_versioned_from_the_first_of_a_month(world: World, api: Any, tenant_a: Any) -> None:
    finance = api("finance")
    body = {"fee_item": world.management.pk, "effective_from": "2026-07-01", "rate": "3.0000"}
    response = post(finance, "/api/v1/fee-standards/", body)
    assert response.status_code == 201, response.content
    assert response.json()["rate"] == "3.0000" and response.json()["custody_percent"] == "100.00"
    listed = finance.get(f"/api/v1/fee-standards/?fee_item={world.management.pk}").json()["results"]
    assert [(r["effective_from"], r["rate"]) for r in listed] == [("2026-07-01", "3.0000"), ("2026-01-01", "2.5000")]

    assert "effective_from" in fields(post(finance, "/api/v1/fee-standards/", {**body, "effective_from": "2026-08-15"}))
    assert "effective_from" in fields(post(finance, "/api/v1/fee-standards/", body))  # same month twice
    assert "rate" in fields(
        post(finance, "/api/v1/fee-standards/", {**body, "effective_from": "2026-09-01", "rate": "-1"})
    )
    assert "custody_percent" in fields(
        post(finance, "/api/v1/fee-standards/", {**body, "effective_from": "2026-09-01", "custody_percent": "120"})
    )
    assert "unit_type" in fields(
        post(finance, "/api/v1/fee-standards/", {**body, "effective_from": "2026-09-01", "unit_type": "castle"})
    )
    assert post(finance, "/api/v1/fee-standards/", {**body, "fee_item": 0}).status_code == 404
    connection.set_tenant(tenant_a)
    assert FeeStandard.objects.filter(fee_item=world.management).count() == 2


def test_assign_and_unassign_a_selection_of_units(world: World, api: Any, tenant_a: Any) -> None:
    item = make_item(world.office, "tv", "fixed", "15")
    finance = api("company_admin")
    path = f"/api/v1/fee-items/{item.pk}/"
    response = post(finance, path + "assign/", {"building": world.building2.pk, "start_date": "2026-03-01"})
    assert response.json() == {"selected": 4, "assigned": 4, "already": 0}
    again = post(finance, path + "assign/", {"estate": world.estate.pk, "start_date": "2026-03-01"})
    assert again.json() == {"selected": 8, "assigned": 4, "already": 4}
    assert "start_date" in fields(
        post(finance, path + "assign/", {"estate": world.estate.pk, "start_date": "2026-03-02"})
    )
    assert "estate" in fields(post(finance, path + "assign/", {"start_date": "2026-03-01"}))
    one = world.units[0].pk
    response = post(finance, path + "unassign/", {"unit_ids": [one], "end_date": "2026-05-31"})
    assert response.status_code == 200 and response.json() == {"changed": 1}
    connection.set_tenant(tenant_a)
    assert FeeAssignment.objects.get(fee_item=item, unit_id=one).end_date == dt.date(2026, 5, 31)
    assert FeeAssignment.objects.filter(fee_item=item, end_date__isnull=True).count() == 7
    assert post(finance, "/api/v1/fee-items/0/assign/", {"estate": 1, "start_date": "2026-03-01"}).status_code == 404
    assert post(api("customer_service"), path + "assign/", {"start_date": "2026-03-01"}).status_code == 403


# --- bill runs ----------------------------------------------------------------------------------------------


def test_a_bill_run_created_started_and_posted_through_the_api(
    world: World, api: Any, tenant_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    finance = api("finance")
    response = post(finance, "/api/v1/bill-runs/", {"period": "2026-06"})
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["period"], run["status"], run["progress_percent"]) == ("2026-06", "preview", 0)
    preview = run["preview"]
    assert preview["units"] == 8 and preview["new_lines"] == 16 and preview["existing"] == 0
    assert preview["new_amount"] == 4 * (22375 + 1000) + 4 * (30000 + 1000)
    assert preview["new_amount_display"] == "¥2,175.00"
    assert {i["name"] for i in preview["items"]} == {"物业费", "垃圾清运费"}
    connection.set_tenant(tenant_a)
    assert not BillLine.objects.exists()  # a preview posts nothing
    assert finance.get("/api/v1/bills/").json()["count"] == 0

    with django_capture_on_commit_callbacks() as queued:
        started = post(finance, f"/api/v1/bill-runs/{run['id']}/start/", {})
    assert started.status_code == 202
    assert started.json()["status"] == "queued"
    assert len(queued) == 1  # the Celery task is sent once the request commits
    assert post(finance, f"/api/v1/bill-runs/{run['id']}/start/", {}).status_code == 400  # already posting

    connection.set_tenant(tenant_a)
    bill_run_execute(run["id"])  # what the worker does
    detail = finance.get(f"/api/v1/bill-runs/{run['id']}/").json()
    assert (detail["status"], detail["progress_percent"], detail["lines_created"]) == ("posted", 100, 16)
    assert detail["amount_created"] == preview["new_amount"] and detail["amount_created_display"] == "¥2,175.00"
    assert [r["id"] for r in finance.get("/api/v1/bill-runs/?period=2026-06").json()["results"]] == [run["id"]]

    bills = finance.get("/api/v1/bills/?period=2026-06&page_size=50").json()
    assert bills["count"] == 16
    mine = [b for b in bills["results"] if b["unit"] == world.units[0].pk]
    assert {(b["fee_item_name"], b["amount"], b["owed"], b["owed_display"]) for b in mine} == {
        ("物业费", 22375, 22375, "¥223.75"),
        ("垃圾清运费", 1000, 1000, "¥10.00"),
    }


def test_bill_run_input_errors(world: World, api: Any) -> None:
    finance = api("finance")
    for bad in ("2026-13", "2026-6x", "", "2026-06-15"):
        assert "period" in fields(post(finance, "/api/v1/bill-runs/", {"period": bad})), bad
    assert "period" in fields(post(finance, "/api/v1/bill-runs/", {}))
    assert "building_ids" in fields(post(finance, "/api/v1/bill-runs/", {"period": "2026-06", "building_ids": [0]}))
    assert "status" in fields(finance.get("/api/v1/bill-runs/?status=done"))
    assert finance.get("/api/v1/bill-runs/0/").status_code == 404
    assert post(finance, "/api/v1/bill-runs/0/start/", {}).status_code == 404
    assert post(api("customer_service"), "/api/v1/bill-runs/", {"period": "2026-06"}).status_code == 403


# --- scope ---------------------------------------------------------------------------------------------------


def test_staff_scoped_to_another_office_see_none_of_this_ones_setup(world: World, api: Any, tenant_a: Any) -> None:
    other = registry.office_create(name="滨江管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=other.pk, name="江景苑", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="A座", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=2, area="60", scope=EVERYTHING
    )
    theirs = make_item(other, "mgmt", "area", "1.80")
    whole = _run(world)
    scoped = api("finance", office_ids=[other.pk])

    assert [i["id"] for i in scoped.get("/api/v1/fee-items/").json()["results"]] == [theirs.pk]
    assert scoped.get(f"/api/v1/fee-items/{world.management.pk}/").status_code == 404
    assert scoped.get(f"/api/v1/fee-standards/?fee_item={world.management.pk}").json()["count"] == 0
    assert (
        post(
            scoped,
            "/api/v1/fee-standards/",
            {"fee_item": world.management.pk, "effective_from": "2026-07-01", "rate": "1"},
        ).status_code
        == 404
    )
    assert (
        post(
            scoped,
            f"/api/v1/fee-items/{world.management.pk}/assign/",
            {"estate": world.estate.pk, "start_date": "2026-07-01"},
        ).status_code
        == 404
    )
    # a whole-company run shows every office's totals: not theirs to see
    assert scoped.get(f"/api/v1/bill-runs/{whole.pk}/").status_code == 404
    assert scoped.get("/api/v1/bill-runs/").json()["count"] == 0
    # they cannot bill the other office, and their own run is theirs
    assert "building_ids" in fields(
        post(scoped, "/api/v1/bill-runs/", {"period": "2026-06", "building_ids": [world.building.pk]})
    )
    own = post(scoped, "/api/v1/bill-runs/", {"period": "2026-06", "estate_ids": [estate.pk]})
    assert own.status_code == 201 and own.json()["preview"]["units"] == 2
    assert [r["id"] for r in scoped.get("/api/v1/bill-runs/").json()["results"]] == [own.json()["id"]]
    # company-wide finance sees both runs
    assert api("finance").get("/api/v1/bill-runs/").json()["count"] == 2
    connection.set_tenant(tenant_a)
    assert Unit.objects.filter(estate=estate).count() == 2


def test_another_company_sees_none_of_it(world: World, tenant_b: Any, member: Any, client_for: Any) -> None:
    run = _run(world)
    beta = client_for(tenant_b, member(tenant_b, ["company_admin"]))
    assert beta.get("/api/v1/fee-items/").json()["count"] == 0
    assert beta.get(f"/api/v1/fee-items/{world.management.pk}/").status_code == 404
    assert beta.get("/api/v1/fee-standards/").json()["count"] == 0
    assert beta.get("/api/v1/bill-runs/").json()["count"] == 0
    assert beta.get(f"/api/v1/bill-runs/{run.pk}/").status_code == 404
    assert post(beta, f"/api/v1/bill-runs/{run.pk}/start/", {}).status_code == 404


# --- OpenAPI ------------------------------------------------------------------------------------------------


def test_the_schema_documents_the_billing_api(db: Any, client: Client) -> None:
    response = client.get("/api/schema/?format=json", HTTP_HOST="alpha.localhost")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for p in (
        "/api/v1/fee-items/",
        "/api/v1/fee-items/{id}/assign/",
        "/api/v1/fee-standards/",
        "/api/v1/bill-runs/",
        "/api/v1/bill-runs/{id}/start/",
        "/api/v1/bills/",
        "/api/v1/bills/adhoc/",
        "/api/v1/ledger/",
        "/api/v1/ledger/statement/",
        "/api/v1/ledger/accounts/",
        "/api/v1/ledger/payments/",
        "/api/v1/waivers/",
        "/api/v1/waivers/{id}/approve/",
        "/api/v1/deposits/",
        "/api/v1/deposits/{id}/release/",
    ):
        assert p in paths, p
    components = schema["components"]["schemas"]
    # money is documented as integer fen with a yuan display twin
    owed = components["BillLine"]["properties"]["owed"]
    assert owed["type"] == "integer" and ("fen" in owed["description"] or "分" in owed["description"])
    assert components["BillLine"]["properties"]["owed_display"]["type"] == "string"
    assert components["PaymentCreateRequest"]["properties"]["amount"]["type"] == "integer"
    # lists are paged; the payment endpoint names its Idempotency-Key header
    assert "count" in components["PaginatedBillLineList"]["properties"]
    post_payment = paths["/api/v1/ledger/payments/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post_payment["parameters"])
    assert {"200", "201", "409"} <= set(post_payment["responses"])

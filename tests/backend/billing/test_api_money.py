"""Billing API, money side: bills, the ledger and statements, counter payments with Idempotency-Key, waivers
with four-eyes, deposits and one-off charges; residents see only their own homes, company beta nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from backend.billing.ledger import payment_record
from backend.billing.models import BillLine, LedgerEntry, Payment, WaiverRequest
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.billing.selectors import unit_account
from backend.properties import services as registry
from backend.properties.models import Person

from .conftest import EVERYTHING, World, make_item
from .test_api_setup import fields, make_api, post

JUN = dt.date(2026, 6, 1)
JUL = dt.date(2026, 7, 1)


@pytest.fixture
def api(tenant_a: Any, member: Any, client_for: Any) -> Any:
    """api(*roles) -> a client on company alpha signed in with those roles."""
    return make_api(tenant_a, member, client_for)


def billed(*periods: dt.date) -> None:
    for period in periods:
        bill_run_execute(bill_run_create(period=period, scope=EVERYTHING, by=None).pk)


@pytest.fixture
def resident(world: World, tenant_a: Any, member: Any, client_for: Any) -> Client:
    """A resident living in building 1, unit 101 (world.units[0])."""
    user = member(tenant_a, ["resident"])
    connection.set_tenant(tenant_a)
    person = registry.person_create(name="王业主", phone="13811112222")
    Person.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    registry.occupancy_move_in(
        unit_id=world.units[0].pk, person=person, role="owner", start_date=dt.date(2025, 1, 1), scope=EVERYTHING
    )
    client = client_for(tenant_a, user)
    connection.set_tenant(tenant_a)
    return client


def line_of(unit_id: int, code: str, period: dt.date = JUN) -> BillLine:
    return BillLine.objects.get(unit_id=unit_id, fee_item__code=code, period_start=period)


# --- bills ----------------------------------------------------------------------------------------------


def test_bills_carry_their_balances_and_filter(world: World, api: Any, tenant_a: Any) -> None:
    billed(JUN, JUL)
    unit = world.units[0]
    payment_record(unit=unit, amount=10000, method="cash", line_ids=[line_of(unit.pk, "mgmt").pk])
    staff = api("customer_service")
    rows = staff.get(f"/api/v1/bills/?unit={unit.pk}&period=2026-06").json()["results"]
    mgmt = next(r for r in rows if r["fee_item_name"] == "物业费")
    assert (mgmt["charged"], mgmt["settled"], mgmt["waived"], mgmt["owed"]) == (22375, 10000, 0, 12375)
    assert (mgmt["settled_display"], mgmt["owed_display"], mgmt["period"]) == ("¥100.00", "¥123.75", "2026-06")
    assert mgmt["unit_label"] == unit.label and mgmt["kind"] == "charge"

    connection.set_tenant(tenant_a)
    payment_record(unit=unit, amount=1000, method="cash", line_ids=[line_of(unit.pk, "garbage").pk])
    unpaid = staff.get(f"/api/v1/bills/?unit={unit.pk}&unpaid=1").json()["results"]
    assert {(r["period"], r["fee_item_name"]) for r in unpaid} == {
        ("2026-06", "物业费"),
        ("2026-07", "物业费"),
        ("2026-07", "垃圾清运费"),
    }
    assert staff.get("/api/v1/bills/?kind=adhoc").json()["count"] == 0
    assert staff.get("/api/v1/bills/?period=2026-07").json()["count"] == 16
    detail = staff.get(f"/api/v1/bills/{mgmt['id']}/").json()
    assert detail["owed"] == 12375
    assert "kind" in fields(staff.get("/api/v1/bills/?kind=fine"))
    assert "period" in fields(staff.get("/api/v1/bills/?period=July"))
    assert "unit" in fields(staff.get("/api/v1/bills/?unit=abc"))
    assert staff.get("/api/v1/bills/?unit=0").status_code == 404


def test_a_resident_sees_only_their_own_home(world: World, api: Any, resident: Client, tenant_a: Any) -> None:
    billed(JUN)
    mine, neighbour = world.units[0], world.units[1]
    payment_record(unit=mine, amount=5000, method="wechat", channel="online")
    payment_record(unit=neighbour, amount=7000, method="cash")
    finance = api("finance")
    assert (
        post(
            finance,
            "/api/v1/deposits/",
            {"unit": neighbour.pk, "amount": 100000, "purpose": "装修保证金", "method": "cash"},
        ).status_code
        == 201
    )
    assert (
        post(
            finance, "/api/v1/deposits/", {"unit": mine.pk, "amount": 200000, "purpose": "装修保证金", "method": "pos"}
        ).status_code
        == 201
    )
    connection.set_tenant(tenant_a)
    neighbours_line = line_of(neighbour.pk, "mgmt")

    bills = resident.get("/api/v1/bills/").json()
    assert bills["count"] == 2 and {b["unit"] for b in bills["results"]} == {mine.pk}
    assert resident.get(f"/api/v1/bills/?unit={mine.pk}").json()["count"] == 2
    assert resident.get(f"/api/v1/bills/?unit={neighbour.pk}").status_code == 404
    assert resident.get(f"/api/v1/bills/{neighbours_line.pk}/").status_code == 404

    entries = resident.get(f"/api/v1/ledger/?unit={mine.pk}").json()["results"]
    assert {e["kind"] for e in entries} == {"charge", "payment", "settle", "deposit_held"}
    assert resident.get(f"/api/v1/ledger/?unit={neighbour.pk}").status_code == 404
    assert resident.get(f"/api/v1/ledger/statement/?unit={neighbour.pk}").status_code == 404
    assert resident.get(f"/api/v1/ledger/accounts/?unit={neighbour.pk}").status_code == 404
    assert "unit" in fields(resident.get("/api/v1/ledger/"))
    account = resident.get(f"/api/v1/ledger/accounts/?unit={mine.pk}").json()
    assert (account["owed"], account["prepaid"], account["deposits_held"]) == (23375 - 5000, 0, 200000)
    assert account["balance_display"] == "¥183.75"

    assert [p["amount"] for p in resident.get("/api/v1/ledger/payments/").json()["results"]] == [5000]
    assert resident.get(f"/api/v1/ledger/payments/?unit={neighbour.pk}").status_code == 404
    assert [d["amount"] for d in resident.get("/api/v1/deposits/").json()["results"]] == [200000]
    # and they cannot move money or ask for waivers
    assert (
        post(resident, "/api/v1/ledger/payments/", {"unit": mine.pk, "amount": 100, "method": "cash"}).status_code
        == 403
    )
    assert (
        post(resident, "/api/v1/waivers/", {"bill_line": neighbours_line.pk, "amount": 1, "reason": "x"}).status_code
        == 403
    )
    assert resident.get("/api/v1/waivers/").status_code == 403


def test_company_beta_sees_none_of_alphas_money(
    world: World, api: Any, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    billed(JUN)
    unit = world.units[0]
    payment = payment_record(unit=unit, amount=5000, method="cash").payment
    line = line_of(unit.pk, "mgmt")
    finance = api("finance")
    waiver = post(finance, "/api/v1/waivers/", {"bill_line": line.pk, "amount": 100, "reason": "漏水补偿"}).json()
    deposit = post(
        finance, "/api/v1/deposits/", {"unit": unit.pk, "amount": 100, "purpose": "门禁卡押金", "method": "cash"}
    ).json()
    beta = client_for(tenant_b, member(tenant_b, ["company_admin", "finance"]))
    for path in ("/api/v1/bills/", "/api/v1/ledger/payments/", "/api/v1/waivers/", "/api/v1/deposits/"):
        assert beta.get(path).json()["count"] == 0, path
    for path in (
        f"/api/v1/bills/{line.pk}/",
        f"/api/v1/bills/?unit={unit.pk}",
        f"/api/v1/ledger/?unit={unit.pk}",
        f"/api/v1/ledger/statement/?unit={unit.pk}",
        f"/api/v1/ledger/accounts/?unit={unit.pk}",
    ):
        assert beta.get(path).status_code == 404, path
    assert post(beta, "/api/v1/ledger/payments/", {"unit": unit.pk, "amount": 100, "method": "cash"}).status_code == 404
    assert post(beta, f"/api/v1/waivers/{waiver['id']}/approve/", {}).status_code == 404
    assert post(beta, f"/api/v1/deposits/{deposit['id']}/release/", {"refund": 100, "reason": "x"}).status_code == 404
    connection.set_tenant(tenant_a)
    assert Payment.objects.filter(unit=unit).get() == payment
    assert WaiverRequest.objects.get(pk=waiver["id"]).status == "pending"


# --- payments -------------------------------------------------------------------------------------------


def test_a_counter_payment_settles_oldest_first_and_replays_by_idempotency_key(
    world: World, api: Any, tenant_a: Any
) -> None:
    billed(JUN, JUL)
    unit = world.units[0]
    finance = api("finance")
    body = {"unit": unit.pk, "amount": 30000, "method": "cash", "payer_name": "王业主", "reference": "R-1"}
    first = post(finance, "/api/v1/ledger/payments/", body, HTTP_IDEMPOTENCY_KEY="counter-7f3a")
    assert first.status_code == 201, first.content
    paid = first.json()
    connection.set_tenant(tenant_a)
    june = {line_of(unit.pk, "mgmt").pk: 22375, line_of(unit.pk, "garbage").pk: 1000}
    july_mgmt = line_of(unit.pk, "mgmt", JUL).pk
    assert {a["bill_line"]: a["amount"] for a in paid["allocations"]} == {**june, july_mgmt: 30000 - 23375}
    assert (paid["settled"], paid["prepaid_credit"], paid["amount_display"]) == (30000, 0, "¥300.00")
    assert paid["channel"] == "counter" and paid["unit_label"] == unit.label

    replay = post(finance, "/api/v1/ledger/payments/", body, HTTP_IDEMPOTENCY_KEY="counter-7f3a")
    assert replay.status_code == 200 and replay.json()["id"] == paid["id"]
    connection.set_tenant(tenant_a)
    assert Payment.objects.filter(unit=unit).count() == 1
    assert LedgerEntry.objects.filter(unit=unit, kind__in=["payment", "prepayment"]).count() == 1
    assert unit_account(unit.pk).owed == 2 * 23375 - 30000

    conflict = post(finance, "/api/v1/ledger/payments/", {**body, "amount": 100}, HTTP_IDEMPOTENCY_KEY="counter-7f3a")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_conflict"
    other_unit = post(
        finance, "/api/v1/ledger/payments/", {**body, "unit": world.units[1].pk}, HTTP_IDEMPOTENCY_KEY="counter-7f3a"
    )
    assert other_unit.status_code == 409
    connection.set_tenant(tenant_a)
    assert Payment.objects.count() == 1

    listed = finance.get(f"/api/v1/ledger/payments/?unit={unit.pk}").json()["results"]
    assert [(p["id"], p["settled"]) for p in listed] == [(paid["id"], 30000)]


def test_payment_input_errors(world: World, api: Any, tenant_a: Any) -> None:
    billed(JUN)
    unit = world.units[0]
    finance = api("company_admin")
    body = {"unit": unit.pk, "amount": 1000, "method": "cash"}
    path = "/api/v1/ledger/payments/"
    assert "amount" in fields(post(finance, path, {**body, "amount": -500}))
    assert "amount" in fields(post(finance, path, {**body, "amount": 0}))
    assert "amount" in fields(post(finance, path, {**body, "amount": "12.5"}))
    assert "method" in fields(post(finance, path, {**body, "method": "bitcoin"}))
    assert "unit" in fields(post(finance, path, {"amount": 1000, "method": "cash"}))
    connection.set_tenant(tenant_a)
    neighbours = line_of(world.units[1].pk, "mgmt").pk
    assert "line_ids" in fields(post(finance, path, {**body, "line_ids": [neighbours]}))
    assert "line_ids" in fields(post(finance, path, {**body, "line_ids": [neighbours], "to_prepaid": True}))
    assert "Idempotency-Key" in fields(post(finance, path, body, HTTP_IDEMPOTENCY_KEY="k" * 101))
    assert post(finance, path, {**body, "unit": 0}).status_code == 404
    connection.set_tenant(tenant_a)
    assert not Payment.objects.exists()
    # a top-up goes to the prepaid balance and settles nothing
    topup = post(finance, path, {**body, "amount": 50000, "to_prepaid": True})
    assert topup.status_code == 201
    assert (topup.json()["allocations"], topup.json()["prepaid_credit"]) == ([], 50000)
    assert post(api("customer_service"), path, body).status_code == 403


# --- ledger and statement -------------------------------------------------------------------------------


def test_statement_has_opening_running_and_closing_balances(world: World, api: Any, tenant_a: Any) -> None:
    billed(JUN)
    unit = world.units[0]
    LedgerEntry.objects.filter(unit=unit).update(occurred_on=dt.date(2026, 6, 1))
    payment_record(unit=unit, amount=20000, method="cash")
    LedgerEntry.objects.filter(unit=unit, kind__in=["payment", "settle"]).update(occurred_on=dt.date(2026, 6, 20))
    staff = api("finance")
    whole = staff.get(f"/api/v1/ledger/statement/?unit={unit.pk}").json()
    assert whole["opening"] == 0
    assert [(r["kind"], r["signed"], r["balance"]) for r in whole["rows"]] == [
        ("charge", 22375, 22375),
        ("charge", 1000, 23375),
        ("payment", -20000, 3375),
    ]
    assert whole["closing"] == 3375 == whole["account"]["balance"]
    assert whole["closing_display"] == "¥33.75"
    assert "物业费 2026-06" in whole["rows"][0]["description"]
    late = staff.get(f"/api/v1/ledger/statement/?unit={unit.pk}&start=2026-06-10&end=2026-06-30").json()
    assert (late["opening"], len(late["rows"]), late["closing"]) == (23375, 1, 3375)
    assert "end" in fields(staff.get(f"/api/v1/ledger/statement/?unit={unit.pk}&start=2026-07-01&end=2026-06-01"))
    assert "start" in fields(staff.get(f"/api/v1/ledger/statement/?unit={unit.pk}&start=yesterday"))
    assert "unit" in fields(staff.get("/api/v1/ledger/statement/"))

    entries = staff.get(f"/api/v1/ledger/?unit={unit.pk}&kind=settle").json()
    # one line settled, in the company's order (same period and priority: the older line first)
    assert [(e["bill_line"], e["amount"]) for e in entries["results"]] == [(line_of(unit.pk, "mgmt").pk, 20000)]
    assert "kind" in fields(staff.get(f"/api/v1/ledger/?unit={unit.pk}&kind=gift"))


# --- waivers -------------------------------------------------------------------------------------------


def test_a_waiver_needs_a_second_person(world: World, api: Any, tenant_a: Any) -> None:
    billed(JUN)
    line = line_of(world.units[0].pk, "mgmt")
    asker, approver = api("finance"), api("company_admin")
    body = {"bill_line": line.pk, "amount": 5000, "reason": "电梯停运补偿", "kind": "waiver"}
    assert "amount" in fields(post(asker, "/api/v1/waivers/", {**body, "amount": 22376}))  # more than owed
    assert "amount" in fields(post(asker, "/api/v1/waivers/", {**body, "amount": -1}))
    assert "kind" in fields(post(asker, "/api/v1/waivers/", {**body, "kind": "gift"}))
    assert "reason" in fields(post(asker, "/api/v1/waivers/", {**body, "reason": "  "}))
    assert post(asker, "/api/v1/waivers/", {**body, "bill_line": 0}).status_code == 404
    created = post(asker, "/api/v1/waivers/", body)
    assert created.status_code == 201, created.content
    waiver = created.json()
    assert (waiver["status"], waiver["amount_display"], waiver["period"]) == ("pending", "¥50.00", "2026-06")

    own = post(asker, f"/api/v1/waivers/{waiver['id']}/approve/", {})
    assert own.status_code == 403 and own.json()["error"]["code"] == "four_eyes"
    assert post(api("customer_service"), f"/api/v1/waivers/{waiver['id']}/approve/", {}).status_code == 403
    approved = post(approver, f"/api/v1/waivers/{waiver['id']}/approve/", {"note": "同意"})
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decision_note"]) == ("approved", "同意")
    assert post(approver, f"/api/v1/waivers/{waiver['id']}/reject/", {}).status_code == 400  # decided already
    bill = approver.get(f"/api/v1/bills/{line.pk}/").json()
    assert (bill["waived"], bill["owed"]) == (5000, 17375)

    # customer service may ask; a rejection posts nothing
    second = post(api("customer_service"), "/api/v1/waivers/", {**body, "amount": 1000}).json()
    rejected = post(approver, f"/api/v1/waivers/{second['id']}/reject/", {"note": "不符合条件"})
    assert rejected.json()["status"] == "rejected"
    assert approver.get(f"/api/v1/bills/{line.pk}/").json()["waived"] == 5000
    assert [w["status"] for w in approver.get("/api/v1/waivers/?status=pending").json()["results"]] == []
    assert approver.get(f"/api/v1/waivers/?unit={world.units[0].pk}").json()["count"] == 2


# --- deposits and one-off charges ------------------------------------------------------------------------


def test_deposits_are_held_then_refunded_or_forfeited(world: World, api: Any) -> None:
    unit = world.units[2]
    finance = api("finance")
    created = post(
        finance,
        "/api/v1/deposits/",
        {"unit": unit.pk, "amount": 300000, "purpose": "装修保证金", "method": "bank_transfer"},
    )
    assert created.status_code == 201
    deposit = created.json()
    assert (deposit["held"], deposit["held_display"]) == (300000, "¥3,000.00")
    path = f"/api/v1/deposits/{deposit['id']}/release/"
    released = post(finance, path, {"refund": 250000, "forfeit": 20000, "reason": "验收合格，扣除墙面修补"})
    assert released.status_code == 200
    assert (released.json()["held"], released.json()["refunded"], released.json()["forfeited"]) == (
        30000,
        250000,
        20000,
    )
    assert "refund" in fields(post(finance, path, {"refund": 30001, "reason": "x"}))
    assert "refund" in fields(post(finance, path, {"refund": -1, "reason": "x"}))
    assert "refund" in fields(post(finance, path, {"reason": "nothing"}))
    assert "reason" in fields(post(finance, path, {"refund": 1, "reason": ""}))
    assert "purpose" in fields(
        post(finance, "/api/v1/deposits/", {"unit": unit.pk, "amount": 1, "purpose": " ", "method": "cash"})
    )
    assert finance.get(f"/api/v1/deposits/?unit={unit.pk}").json()["results"][0]["held"] == 30000
    assert post(finance, "/api/v1/deposits/0/release/", {"refund": 1, "reason": "x"}).status_code == 404
    assert post(api("customer_service"), path, {"refund": 1, "reason": "x"}).status_code == 403


def test_a_one_off_charge_is_billed_and_settled_from_prepaid_credit(world: World, api: Any, tenant_a: Any) -> None:
    from backend.properties import services as props

    debris = make_item(world.office, "debris", "fixed", "0")
    unit = world.units[0]
    payment_record(unit=unit, amount=3000, method="cash", to_prepaid=True)
    finance = api("finance")
    body = {
        "unit": unit.pk,
        "fee_item": debris.pk,
        "amount": 5000,
        "description": "装修垃圾清运 2车",
        "due_date": "2026-07-10",
    }
    response = post(finance, "/api/v1/bills/adhoc/", body)
    assert response.status_code == 201, response.content
    line = response.json()
    assert (line["kind"], line["amount"], line["settled"], line["owed"]) == ("adhoc", 5000, 3000, 2000)
    assert line["due_date"] == "2026-07-10" and line["description"] == "装修垃圾清运 2车"
    assert [b["id"] for b in finance.get("/api/v1/bills/?kind=adhoc").json()["results"]] == [line["id"]]
    assert "amount" in fields(post(finance, "/api/v1/bills/adhoc/", {**body, "amount": -5000}))
    assert "description" in fields(post(finance, "/api/v1/bills/adhoc/", {**body, "description": ""}))
    connection.set_tenant(tenant_a)
    other = props.office_create(name="另一管理处", scope=EVERYTHING)
    foreign = make_item(other, "debris", "fixed", "0")
    assert "fee_item" in fields(post(finance, "/api/v1/bills/adhoc/", {**body, "fee_item": foreign.pk}))
    assert post(finance, "/api/v1/bills/adhoc/", {**body, "unit": 0}).status_code == 404

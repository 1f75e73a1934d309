"""Payments API over HTTP against localstripe: online payments with Idempotency-Key, confirm / decline /
gateway down, autopay, receipts and voids, refunds, day closes locking the counter, the follow-up list,
company isolation and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from backend.billing.models import LedgerEntry, Payment
from backend.payments.models import AutopayMandate, DayClose, OnlinePayment, Receipt, Refund
from backend.payments.online import online_payment_start
from tenants.db import connection
from tests.backend.billing.test_api_setup import fields, make_api, post

from .conftest import Home, owed
from .test_online import DECLINED_ON_CHARGE, THREE_D_SECURE, saved_card

pytestmark = pytest.mark.usefixtures("localstripe")

ONLINE = "/api/v1/payments/online/"


@pytest.fixture
def api(tenant_a: Any, member: Any, client_for: Any) -> Any:
    """api(*roles) -> a client on company alpha signed in with those roles."""
    return make_api(tenant_a, member, client_for)


def start(home: Home, body: dict[str, Any], key: str | None = None) -> Any:
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return post(home.client, ONLINE, body, **extra)


def counter_payment(client: Client, unit_id: int, amount: int, **more: Any) -> dict[str, Any]:
    response = post(client, "/api/v1/ledger/payments/", {"unit": unit_id, "amount": amount, "method": "cash", **more})
    assert response.status_code == 201, response.content[:400]
    return response.json()  # type: ignore[no-any-return]


# --- online payments ---------------------------------------------------------------------------------------


def test_one_idempotency_key_makes_one_intent_and_another_body_is_a_conflict(home: Home, tenant_a: Any) -> None:
    lines = home.jan[:2]
    expected = sum(owed(line) for line in lines)
    body = {"unit": home.unit.pk, "line_ids": [line.pk for line in lines]}
    first = start(home, body, key="double-click")
    assert first.status_code == 201, first.content
    again = start(home, body, key="double-click")
    assert again.status_code == 200
    one, two = first.json(), again.json()
    assert one["id"] == two["id"] and one["intent_id"] == two["intent_id"] and one["intent_id"].startswith("pi_")
    assert (one["amount"], one["status"], one["method_type"]) == (expected, "created", "card")
    assert one["client_secret"].startswith(one["intent_id"]) and one["publishable_key"].startswith("pk_")
    assert one["is_local_gateway"] is True

    other = start(home, {"unit": home.unit.pk, "line_ids": [lines[0].pk]}, key="double-click")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    connection.set_tenant(tenant_a)
    assert OnlinePayment.objects.count() == 1
    assert "Idempotency-Key" in fields(start(home, body, key="k" * 101))


def test_paying_everything_owed_or_a_top_up(home: Home, tenant_a: Any) -> None:
    everything = start(home, {"unit": home.unit.pk})
    assert everything.status_code == 201
    connection.set_tenant(tenant_a)
    assert everything.json()["amount"] == sum(owed(line) for line in home.jan)
    top_up = start(home, {"unit": home.unit.pk, "top_up": 50000})
    assert top_up.status_code == 201
    assert (top_up.json()["amount"], top_up.json()["to_prepaid"], top_up.json()["line_ids"]) == (50000, True, [])
    assert "top_up" in fields(start(home, {"unit": home.unit.pk, "top_up": 0}))
    assert "top_up" in fields(start(home, {"unit": home.unit.pk, "top_up": 100, "line_ids": [home.jan[0].pk]}))
    assert "method_type" in fields(start(home, {"unit": home.unit.pk, "method_type": "bitcoin"}))


def test_confirming_with_a_saved_card_settles_the_lines(home: Home, localstripe: str, tenant_a: Any) -> None:
    lines = home.jan[:2]
    started = start(home, {"unit": home.unit.pk, "line_ids": [line.pk for line in lines]}).json()
    connection.set_tenant(tenant_a)
    card = saved_card(localstripe, home.user)
    response = post(home.client, f"{ONLINE}{started['id']}/confirm/", {"payment_method": card})
    assert response.status_code == 200, response.content
    done = response.json()
    assert done["status"] == "succeeded" and done["payment"] and done["client_secret"] == ""
    connection.set_tenant(tenant_a)
    assert [owed(line) for line in lines] == [0, 0]
    payment = Payment.objects.get(pk=done["payment"])
    assert (payment.amount, payment.channel, payment.reference) == (started["amount"], "online", started["intent_id"])
    assert done["receipt_number"] == Receipt.objects.get(payment=payment).number

    mine = home.client.get(ONLINE).json()
    assert [row["id"] for row in mine["results"]] == [started["id"]]
    assert home.client.get(f"{ONLINE}{started['id']}/").json()["status"] == "succeeded"
    # Confirming again changes nothing: the payment is final.
    again = post(home.client, f"{ONLINE}{started['id']}/confirm/", {"payment_method": card})
    assert again.status_code == 200 and again.json()["payment"] == payment.pk
    connection.set_tenant(tenant_a)
    assert Payment.objects.filter(unit=home.unit).count() == 1


def test_a_declined_card_answers_failed_and_leaves_the_lines_owed(home: Home, localstripe: str, tenant_a: Any) -> None:
    line = home.jan[0]
    started = start(home, {"unit": home.unit.pk, "line_ids": [line.pk]}).json()
    connection.set_tenant(tenant_a)
    card = saved_card(localstripe, home.user, DECLINED_ON_CHARGE)
    response = post(home.client, f"{ONLINE}{started['id']}/confirm/", {"payment_method": card})
    assert response.status_code == 200
    assert response.json()["status"] == "failed" and "拒付" in response.json()["failure_message"]  # declined
    connection.set_tenant(tenant_a)
    assert owed(line) == line.amount
    assert not LedgerEntry.objects.filter(unit=home.unit, kind__in=["payment", "prepayment"]).exists()
    retry = post(home.client, f"{ONLINE}{started['id']}/confirm/", {"payment_method": card})
    assert retry.status_code == 409 and retry.json()["error"]["code"] == "attempt_failed"
    # The lines are payable again with a new payment.
    assert start(home, {"unit": home.unit.pk, "line_ids": [line.pk]}).status_code == 201


def test_three_d_secure_hands_back_the_client_secret(home: Home, localstripe: str, tenant_a: Any) -> None:
    started = start(home, {"unit": home.unit.pk, "line_ids": [home.jan[0].pk]}).json()
    connection.set_tenant(tenant_a)
    card = saved_card(localstripe, home.user, THREE_D_SECURE)
    body = post(home.client, f"{ONLINE}{started['id']}/confirm/", {"payment_method": card}).json()
    assert body["status"] == "requires_action" and body["client_secret"].startswith(started["intent_id"])
    refreshed = post(home.client, f"{ONLINE}{started['id']}/refresh/", {})
    assert refreshed.status_code == 200 and refreshed.json()["status"] == "requires_action"
    assert "client_secret" not in refreshed.json()


def test_a_resident_cannot_pay_or_see_a_neighbours_home(home: Home, api: Any, tenant_a: Any) -> None:
    neighbour = home.world.units[1]
    assert start(home, {"unit": neighbour.pk}).status_code == 404
    connection.set_tenant(tenant_a)
    lines = [line.pk for line in home.jan]
    assert "line_ids" in fields(start(home, {"unit": home.unit.pk, "line_ids": [*lines, 10**9]}))
    assert not OnlinePayment.objects.exists()

    # Another resident's payment (even for a home the caller shares) is not theirs to see or confirm.
    other_op, _ = online_payment_start(user=api("finance").user, unit=home.unit, line_ids=lines[:1])
    assert home.client.get(f"{ONLINE}{other_op.pk}/").status_code == 404
    assert post(home.client, f"{ONLINE}{other_op.pk}/confirm/", {"payment_method": "pm_x"}).status_code == 404
    assert home.client.get(ONLINE).json()["count"] == 0
    finance = api("finance")
    assert finance.get(f"{ONLINE}?unit={home.unit.pk}").json()["count"] == 1
    assert finance.get(f"{ONLINE}{other_op.pk}/").status_code == 200


def test_gateway_down_is_a_503_and_charges_nothing(home: Home, settings: Any, tenant_a: Any) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    response = start(home, {"unit": home.unit.pk, "line_ids": [home.jan[0].pk]}, key="down")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "gateway_unavailable" and "未发生扣款" in error["message"]  # nothing was charged
    connection.set_tenant(tenant_a)
    # Only the failed attempt written before Stripe was asked: no intent, its Idempotency-Key given back.
    assert list(OnlinePayment.objects.values_list("status", "intent_id", "idempotency_key")) == [("failed", None, None)]
    assert not Payment.objects.exists()
    assert post(home.client, "/api/v1/payments/card-setup/", {}).status_code == 503


def test_card_setup_gives_stripe_js_what_it_needs(home: Home) -> None:
    response = post(home.client, "/api/v1/payments/card-setup/", {})
    assert response.status_code == 201
    body = response.json()
    assert body["setup_intent"].startswith("seti_") and body["client_secret"].startswith(body["setup_intent"])
    assert body["publishable_key"].startswith("pk_") and body["is_local_gateway"] is True
    assert body["js_url"].endswith("/js.stripe.com/v3/")


def test_the_followup_list_shows_submitted_payments_without_a_webhook(home: Home, api: Any, tenant_a: Any) -> None:
    ids = [line.pk for line in home.jan]
    waiting, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=ids[:1])
    heard, _ = online_payment_start(user=home.user, unit=home.unit, line_ids=ids[1:2])
    canceled, _ = online_payment_start(user=home.user, unit=home.unit, top_up=100)
    recent, _ = online_payment_start(user=home.user, unit=home.unit, top_up=200)
    never_submitted, _ = online_payment_start(user=home.user, unit=home.unit, top_up=300)
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    OnlinePayment.objects.filter(pk__in=[waiting.pk, heard.pk, canceled.pk]).update(confirmed_at=hour_ago)
    OnlinePayment.objects.filter(pk=recent.pk).update(confirmed_at=timezone.now())
    OnlinePayment.objects.filter(pk=heard.pk).update(webhook_at=hour_ago)
    OnlinePayment.objects.filter(pk=canceled.pk).update(status="canceled")
    finance = api("finance")
    rows = finance.get("/api/v1/payments/followup/").json()["results"]
    assert [row["id"] for row in rows] == [waiting.pk]
    assert never_submitted.pk not in {row["id"] for row in rows}
    assert home.client.get("/api/v1/payments/followup/").status_code == 403


# --- autopay ------------------------------------------------------------------------------------------------


def test_a_resident_turns_autopay_on_and_off(home: Home, localstripe: str, api: Any, tenant_a: Any) -> None:
    path = "/api/v1/payments/autopay/"
    assert home.client.get(f"{path}?unit={home.unit.pk}").json() == {
        "unit": home.unit.pk,
        "active": False,
        "offered": True,
        "mandate": None,
    }
    connection.set_tenant(tenant_a)
    card = saved_card(localstripe, home.user)
    body = {"unit": home.unit.pk, "payment_method": card, "monthly_max": 50000}
    response = home.client.put(path, body, content_type="application/json")
    assert response.status_code == 200, response.content
    mandate = response.json()["mandate"]
    assert response.json()["active"] and (mandate["card_last4"], mandate["monthly_max"]) == ("4242", 50000)
    assert api("finance").get(f"{path}?unit={home.unit.pk}").json()["active"] is True

    neighbour = {**body, "unit": home.world.units[1].pk}
    assert home.client.put(path, neighbour, content_type="application/json").status_code == 404
    assert "monthly_max" in fields(home.client.put(path, {**body, "monthly_max": 0}, content_type="application/json"))

    off = home.client.delete(f"{path}?unit={home.unit.pk}")
    assert off.status_code == 200 and off.json()["active"] is False
    connection.set_tenant(tenant_a)
    assert not AutopayMandate.objects.filter(active=True).exists()
    assert home.client.delete(f"{path}?unit={home.world.units[1].pk}").status_code == 404


# --- receipts, voids and refunds ------------------------------------------------------------------------------


def test_receipts_list_filter_and_stay_within_the_residents_homes(home: Home, api: Any, tenant_a: Any) -> None:
    finance = api("finance")
    mine = counter_payment(finance, home.unit.pk, 1000, line_ids=[home.jan[1].pk])
    theirs = counter_payment(finance, home.world.units[1].pk, 2000)
    rows = finance.get("/api/v1/receipts/").json()["results"]
    assert {row["payment"] for row in rows} == {mine["id"], theirs["id"]}
    row = next(r for r in rows if r["payment"] == mine["id"])
    assert (row["amount"], row["method"], row["status"], row["cashier"]) == (1000, "cash", "valid", finance.user.pk)
    assert row["number"].startswith("SF") and row["unit"] == home.unit.pk

    today = timezone.localdate().isoformat()
    assert finance.get(f"/api/v1/receipts/?day={today}&method=cash&status=valid").json()["count"] == 2
    assert finance.get("/api/v1/receipts/?method=pos").json()["count"] == 0
    assert finance.get("/api/v1/receipts/?day=2020-01-01").json()["count"] == 0
    assert "day" in fields(finance.get("/api/v1/receipts/?day=yesterday"))
    assert "status" in fields(finance.get("/api/v1/receipts/?status=lost"))

    resident_rows = home.client.get("/api/v1/receipts/").json()["results"]
    assert [r["payment"] for r in resident_rows] == [mine["id"]]
    theirs_receipt = next(r for r in rows if r["payment"] == theirs["id"])
    assert home.client.get(f"/api/v1/receipts/{theirs_receipt['id']}/").status_code == 404
    assert home.client.get(f"/api/v1/receipts/{row['id']}/").json()["number"] == row["number"]
    assert home.client.get(f"/api/v1/receipts/?unit={home.world.units[1].pk}").status_code == 404
    assert post(home.client, f"/api/v1/receipts/{row['id']}/void/", {"reason": "x"}).status_code == 403


def test_receipt_pdf_counts_staff_prints_and_marks_reprints(home: Home, api: Any, tenant_a: Any) -> None:
    finance = api("finance")
    paid = counter_payment(finance, home.unit.pk, 1000)
    connection.set_tenant(tenant_a)
    receipt = Receipt.objects.get(payment_id=paid["id"])
    path = f"/api/v1/receipts/{receipt.pk}/pdf/"
    copy = home.client.get(path)
    assert copy.status_code == 200 and copy["Content-Type"] == "application/pdf"
    assert copy.content.startswith(b"%PDF")
    connection.set_tenant(tenant_a)
    receipt.refresh_from_db()
    assert receipt.print_count == 0  # the resident's copy is not a print
    first = finance.get(path)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    assert finance.get(path).status_code == 200
    connection.set_tenant(tenant_a)
    receipt.refresh_from_db()
    assert receipt.print_count == 2
    neighbours = counter_payment(finance, home.world.units[1].pk, 1000)
    connection.set_tenant(tenant_a)
    other = Receipt.objects.get(payment_id=neighbours["id"])
    assert home.client.get(f"/api/v1/receipts/{other.pk}/pdf/").status_code == 404


def test_voiding_a_receipt_reopens_its_lines(home: Home, api: Any, tenant_a: Any) -> None:
    finance = api("finance")
    line = home.jan[0]
    paid = counter_payment(finance, home.unit.pk, owed(line), line_ids=[line.pk])
    connection.set_tenant(tenant_a)
    assert owed(line) == 0
    receipt = Receipt.objects.get(payment_id=paid["id"])
    path = f"/api/v1/receipts/{receipt.pk}/void/"
    assert "reason" in fields(post(finance, path, {"reason": ""}))
    response = post(finance, path, {"reason": "录入错误"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["void_reason"]) == ("voided", "录入错误")
    connection.set_tenant(tenant_a)
    assert owed(line) == line.amount
    assert Refund.objects.get(payment_id=paid["id"]).kind == "void"
    again = post(finance, path, {"reason": "录入错误"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_void"


def test_a_partial_refund_of_a_counter_payment_and_never_more(home: Home, api: Any, tenant_a: Any) -> None:
    finance = api("finance")
    paid = counter_payment(finance, home.unit.pk, 30000)
    response = post(finance, "/api/v1/refunds/", {"payment": paid["id"], "amount": 10000, "reason": "多收"})
    assert response.status_code == 201, response.content
    refund = response.json()
    assert (refund["amount"], refund["provider"], refund["kind"], refund["status"]) == (
        10000,
        "offline",
        "refund",
        "succeeded",
    )
    over = post(finance, "/api/v1/refunds/", {"payment": paid["id"], "amount": 20001, "reason": "多收"})
    assert "amount" in fields(over)
    assert "reason" in fields(post(finance, "/api/v1/refunds/", {"payment": paid["id"], "amount": 1, "reason": ""}))
    connection.set_tenant(tenant_a)
    assert list(LedgerEntry.objects.filter(payment_id=paid["id"], kind="refund").values_list("amount", flat=True)) == [
        10000
    ]
    listed = finance.get(f"/api/v1/refunds/?payment={paid['id']}").json()
    assert listed["count"] == 1 and listed["results"][0]["requested_by"] == finance.user.pk
    assert post(finance, "/api/v1/refunds/", {"payment": 0, "amount": 1, "reason": "x"}).status_code == 404
    assert home.client.get("/api/v1/refunds/").status_code == 403


def test_an_online_payment_is_refunded_through_stripe(home: Home, localstripe: str, api: Any, tenant_a: Any) -> None:
    started = start(home, {"unit": home.unit.pk, "top_up": 8000}).json()
    connection.set_tenant(tenant_a)
    card = saved_card(localstripe, home.user)
    done = post(home.client, f"{ONLINE}{started['id']}/confirm/", {"payment_method": card}).json()
    assert done["status"] == "succeeded"
    finance = api("finance")
    response = post(finance, "/api/v1/refunds/", {"payment": done["payment"], "amount": 3000, "reason": "多缴"})
    assert response.status_code == 201, response.content
    assert response.json()["provider"] == "stripe" and response.json()["provider_refund_id"].startswith("re_")
    connection.set_tenant(tenant_a)
    receipt = Receipt.objects.get(payment_id=done["payment"])
    refused = post(finance, f"/api/v1/receipts/{receipt.pk}/void/", {"reason": "x"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "void_online"


# --- day closes ---------------------------------------------------------------------------------------------


def test_a_closed_day_refuses_the_cashiers_counter_payments(home: Home, api: Any, tenant_a: Any) -> None:
    cashier, boss = api("finance"), api("company_admin")
    day = dt.date(2026, 1, 20)
    noon = "2026-01-20T12:00:00+08:00"
    counter_payment(cashier, home.unit.pk, 5000, received_at=noon)
    counter_payment(cashier, home.unit.pk, 700, received_at=noon)

    summary = boss.get("/api/v1/day-closes/summary/?day=2026-01-20").json()
    assert (summary["count"], summary["total"], summary["by_method"]["cash"]) == (
        2,
        5700,
        {"count": 2, "amount": 5700},
    )
    assert summary["by_cashier"][0]["cashier"] == cashier.user.pk and summary["by_cashier"][0]["closed"] is False

    response = post(boss, "/api/v1/day-closes/", {"day": "2026-01-20", "cashier": cashier.user.pk, "note": "交款"})
    assert response.status_code == 201, response.content
    close = response.json()
    assert (close["cashier"], close["closed_by"], close["total"], close["totals"]) == (
        cashier.user.pk,
        boss.user.pk,
        5700,
        {"cash": 5700},
    )
    late = post(
        cashier,
        "/api/v1/ledger/payments/",
        {"unit": home.unit.pk, "amount": 100, "method": "cash", "received_at": noon},
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "day_closed"
    # Another cashier's day, and the next day, stay open.
    counter_payment(boss, home.unit.pk, 100, received_at=noon)
    counter_payment(cashier, home.unit.pk, 100, received_at="2026-01-21T09:00:00+08:00")
    twice = post(boss, "/api/v1/day-closes/", {"day": "2026-01-20", "cashier": cashier.user.pk})
    assert twice.status_code == 409

    listed = boss.get(f"/api/v1/day-closes/?day={day.isoformat()}").json()
    assert [row["id"] for row in listed["results"]] == [close["id"]]
    summary = boss.get("/api/v1/day-closes/summary/?day=2026-01-20").json()
    assert [c["cashier"] for c in summary["closed"]] == [cashier.user.pk]
    assert "day" in fields(post(boss, "/api/v1/day-closes/", {"day": "2999-01-01"}))
    assert "cashier" in fields(post(boss, "/api/v1/day-closes/", {"day": "2026-01-20", "cashier": 10**9}))
    # The caller's own day by default.
    own = post(cashier, "/api/v1/day-closes/", {"day": "2026-01-19"})
    assert own.status_code == 201 and own.json()["cashier"] == cashier.user.pk
    connection.set_tenant(tenant_a)
    assert DayClose.objects.count() == 2


# --- isolation and schema -------------------------------------------------------------------------------------


def test_company_beta_sees_nothing_of_alpha(
    home: Home, api: Any, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    finance = api("finance")
    paid = counter_payment(finance, home.unit.pk, 1000)
    connection.set_tenant(tenant_a)
    receipt = Receipt.objects.get(payment_id=paid["id"])
    op, _ = online_payment_start(user=home.user, unit=home.unit, top_up=100)
    beta = make_api(tenant_b, member, client_for)("finance", "company_admin")
    assert beta.get("/api/v1/receipts/").json()["count"] == 0
    assert beta.get(f"/api/v1/receipts/{receipt.pk}/").status_code == 404
    assert beta.get(ONLINE).json()["count"] == 0
    assert beta.get(f"{ONLINE}{op.pk}/").status_code == 404
    assert beta.get("/api/v1/payments/followup/").json()["count"] == 0
    assert post(beta, "/api/v1/refunds/", {"payment": paid["id"], "amount": 1, "reason": "x"}).status_code == 404
    assert post(beta, f"/api/v1/receipts/{receipt.pk}/void/", {"reason": "x"}).status_code == 404
    assert beta.get("/api/v1/day-closes/summary/").json()["count"] == 0
    # Alpha's session presented on beta's domain is not signed in there.
    alpha_cookie = finance.cookies["sessionid"].value
    intruder = client_for(tenant_b)
    intruder.cookies["sessionid"] = alpha_cookie
    assert intruder.get("/api/v1/receipts/").status_code == 401


def test_the_openapi_schema_describes_the_payments_api(client_for: Any, tenant_a: Any) -> None:
    response = client_for(tenant_a).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for route in (
        "/api/v1/payments/online/",
        "/api/v1/payments/online/{id}/confirm/",
        "/api/v1/payments/online/{id}/refresh/",
        "/api/v1/payments/card-setup/",
        "/api/v1/payments/autopay/",
        "/api/v1/payments/followup/",
        "/api/v1/receipts/",
        "/api/v1/receipts/{id}/void/",
        "/api/v1/receipts/{id}/pdf/",
        "/api/v1/refunds/",
        "/api/v1/day-closes/",
        "/api/v1/day-closes/summary/",
    ):
        assert f"{route}:" in text, route
    assert "Idempotency-Key" in text and "client_secret" in text

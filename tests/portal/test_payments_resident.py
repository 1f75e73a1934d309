"""The resident's online payment and autopay pages: the JSON steps of the card flow against localstripe, the
result page, and who may see what (a resident only their current homes; staff not at all)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from backend.billing.models import Payment
from backend.payments.models import AutopayMandate, OnlinePayment, PaymentSettings, Receipt
from tenants.db import connection
from tests.backend.billing.conftest import world as world  # noqa: PLC0414  (the billed world fixture)
from tests.backend.payments.conftest import Home, move_in, owed
from tests.backend.payments.conftest import home as home  # noqa: PLC0414  (the resident's home fixture)
from tests.backend.payments.test_online import DECLINED_ON_CHARGE, THREE_D_SECURE, saved_card

pytestmark = pytest.mark.usefixtures("localstripe")


def post_json(client: Client, url: str, body: dict[str, Any] | None = None, **headers: Any) -> Any:
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", headers=headers)


def start(home: Home, lines: list[Any], key: str = "page-1-1") -> Any:
    return post_json(
        home.client,
        "/resident/pay/start/",
        {"unit": home.unit.pk, "lines": [line.pk for line in lines], "idempotency_key": key},
    )


def test_the_pay_page_sums_the_chosen_lines_and_says_it_is_a_local_gateway(home: Home) -> None:
    a, b = home.jan[:2]
    page = home.client.get(f"/resident/pay/?unit={home.unit.pk}&lines={a.pk}&lines={b.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    total = owed(a) + owed(b)
    assert f"data-pay-total>¥{total // 100:,}.{total % 100:02d}<" in html
    assert f'data-pay-line="{a.pk}"' in html and f'data-pay-line="{b.pk}"' in html
    assert "data-local-gateway" in html and "不会发生真实资金" in html  # no real money
    assert "/js.stripe.com/v3/" in html and "portal/js/pay.js" in html
    assert 'value="card"' in html and 'value="alipay"' not in html  # only the enabled methods
    second = home.client.get(f"/resident/pay/?unit={home.unit.pk}&lines={a.pk}")
    assert page.context["idempotency_key"] != second.context["idempotency_key"]  # a new key per render


def test_pay_by_saved_card_through_the_json_steps_then_the_result_page_shows_the_receipt(
    home: Home, localstripe: str
) -> None:
    lines = home.jan[:2]
    expected = sum(owed(line) for line in lines)
    first = start(home, lines)
    again = start(home, lines)  # a double click: the same key gives the same payment
    assert first.status_code == 200 and again.json()["payment"] == first.json()["payment"]
    assert first.json()["amount"] == expected
    assert OnlinePayment.objects.count() == 1
    secret = post_json(home.client, "/resident/pay/card-setup/").json()["client_secret"]
    assert secret.startswith("seti_")
    pk = first.json()["payment"]
    done = post_json(
        home.client, f"/resident/pay/{pk}/confirm/", {"payment_method": saved_card(localstripe, home.user)}
    )
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    assert done.json()["result_url"] == f"/resident/pay/{pk}/"
    assert [owed(line) for line in lines] == [0, 0]
    page = home.client.get(f"/resident/pay/{pk}/")
    receipt = Receipt.objects.get(payment__online__pk=pk)
    html = page.content.decode()
    assert 'data-status="succeeded"' in html and f"data-receipt-number>{receipt.number}<" in html
    assert f'href="/resident/receipts/{receipt.pk}/pdf/"' in html
    pdf = home.client.get(f"/resident/receipts/{receipt.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    receipt.refresh_from_db()
    assert receipt.print_count == 1


def test_a_declined_card_answers_with_the_reason_and_the_line_stays_payable(home: Home, localstripe: str) -> None:
    line = home.jan[0]
    pk = start(home, [line]).json()["payment"]
    card = saved_card(localstripe, home.user, DECLINED_ON_CHARGE)
    done = post_json(home.client, f"/resident/pay/{pk}/confirm/", {"payment_method": card}).json()
    assert done["status"] == "failed" and "拒付" in done["message"]  # declined
    assert owed(line) == line.amount
    page = home.client.get(f"/resident/pay/{pk}/").content.decode()
    assert "data-failed" in page and "拒付" in page and f"lines={line.pk}" in page  # try again
    retry = start(home, [line], key="page-1-2")  # pay.js's next attempt
    assert retry.status_code == 200 and retry.json()["payment"] != pk


def test_three_d_secure_hands_the_client_secret_to_the_page(home: Home, localstripe: str) -> None:
    pk = start(home, [home.jan[0]]).json()["payment"]
    card = saved_card(localstripe, home.user, THREE_D_SECURE)
    done = post_json(home.client, f"/resident/pay/{pk}/confirm/", {"payment_method": card}).json()
    assert done["status"] == "requires_action" and done["client_secret"].startswith("pi_")
    still = post_json(home.client, f"/resident/pay/{pk}/refresh/").json()
    assert still["status"] == "requires_action" and owed(home.jan[0]) == home.jan[0].amount


def test_a_top_up_goes_to_the_prepaid_balance(home: Home, localstripe: str) -> None:
    assert "data-top-up" in home.client.get(f"/resident/pay/?unit={home.unit.pk}&top_up=1").content.decode()
    pk = post_json(
        home.client, "/resident/pay/start/", {"unit": home.unit.pk, "top_up": "50.5", "idempotency_key": "t-1"}
    ).json()["payment"]
    post_json(home.client, f"/resident/pay/{pk}/confirm/", {"payment_method": saved_card(localstripe, home.user)})
    op = OnlinePayment.objects.get(pk=pk)
    assert op.status == "succeeded" and op.to_prepaid and op.amount == 5050


def test_validation_and_gateway_errors_are_json_with_a_message(home: Home, settings: Any) -> None:
    bad = post_json(home.client, "/resident/pay/start/", {"unit": home.unit.pk, "top_up": "abc"})
    assert bad.status_code == 400 and bad.json()["error"]
    paid_twice = start(home, [home.jan[0]], key="x")
    assert paid_twice.status_code == 200
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    down = start(home, [home.jan[1]], key="down")
    assert down.status_code == 503 and "未发生扣款" in down.json()["error"]  # nothing was charged


def test_paying_an_already_paid_line_is_refused_on_the_page(home: Home) -> None:
    from backend.billing.ledger import payment_record

    line = home.jan[0]
    payment_record(unit=home.unit, amount=owed(line), method=Payment.Method.CASH, line_ids=[line.pk])
    html = home.client.get(f"/resident/pay/?unit={home.unit.pk}&lines={line.pk}").content.decode()
    assert "data-pay-problem" in html and "data-pay-form" not in html


def test_online_payment_switched_off_is_a_readable_page(home: Home) -> None:
    PaymentSettings.objects.filter(pk=PaymentSettings.load().pk).update(online_enabled=False)
    html = home.client.get(f"/resident/pay/?unit={home.unit.pk}").content.decode()
    assert "data-unavailable" in html and "已关闭在线缴费" in html and "data-pay-form" not in html
    refused = start(home, [home.jan[0]])
    assert refused.status_code == 409 and not OnlinePayment.objects.exists()


def test_not_configured_is_a_readable_page(home: Home, settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""
    html = home.client.get(f"/resident/pay/?unit={home.unit.pk}").content.decode()
    assert "data-unavailable" in html and "尚未开通在线缴费" in html


def test_a_neighbours_home_payment_and_receipt_are_404(
    home: Home, member: Any, client_for: Any, tenant_a: Any, localstripe: str
) -> None:
    neighbour_unit = home.world.units[1]
    assert home.client.get(f"/resident/pay/?unit={neighbour_unit.pk}").status_code == 404
    assert start_for(home.client, neighbour_unit).status_code == 404
    neighbour = member(tenant_a, ["resident"])
    connection.set_tenant(tenant_a)
    move_in(neighbour_unit, neighbour, name="邻居", phone="13900001111")
    other = client_for(tenant_a, neighbour)
    connection.set_tenant(tenant_a)
    pk = start_for(other, neighbour_unit).json()["payment"]
    assert home.client.get(f"/resident/pay/{pk}/").status_code == 404
    assert post_json(home.client, f"/resident/pay/{pk}/confirm/", {"payment_method": "pm_x"}).status_code == 404
    assert post_json(home.client, f"/resident/pay/{pk}/refresh/").status_code == 404
    post_json(other, f"/resident/pay/{pk}/confirm/", {"payment_method": saved_card(localstripe, neighbour)})
    theirs = Receipt.objects.get(payment__online__pk=pk)
    assert home.client.get(f"/resident/receipts/{theirs.pk}/pdf/").status_code == 404
    assert other.get(f"/resident/receipts/{theirs.pk}/pdf/").status_code == 200
    assert home.client.get(f"/resident/pay/?unit={home.unit.pk}&lines=999999").status_code == 200  # says so
    mandate = AutopayMandate.objects.create(
        unit=neighbour_unit, user=neighbour, payment_method_id="pm_x", monthly_max=100
    )
    assert home.client.post("/resident/autopay/", {"mandate": mandate.pk}).status_code == 404
    assert AutopayMandate.objects.get(pk=mandate.pk).active


def start_for(client: Client, unit: Any) -> Any:
    return post_json(client, "/resident/pay/start/", {"unit": unit.pk, "idempotency_key": "n"})


def test_staff_cannot_use_the_resident_payment_pages(home: Home, member: Any, client_for: Any, tenant_a: Any) -> None:
    staff = client_for(tenant_a, member(tenant_a, ["finance"]))
    connection.set_tenant(tenant_a)
    assert staff.get(f"/resident/pay/?unit={home.unit.pk}").status_code == 403
    assert start_for(staff, home.unit).status_code == 403
    assert staff.get("/resident/autopay/").status_code == 403
    assert client_for(tenant_a).get("/resident/autopay/").status_code == 302  # anonymous: sign in


def test_autopay_page_turns_on_with_a_saved_card_and_off_again(home: Home, localstripe: str) -> None:
    page = home.client.get("/resident/autopay/").content.decode()
    assert f'data-autopay-home="{home.unit.pk}"' in page and "data-monthly-max-input" in page
    bad = post_json(
        home.client, "/resident/autopay/enable/", {"unit": home.unit.pk, "monthly_max": "", "payment_method": "pm"}
    )
    assert bad.status_code == 400 and not AutopayMandate.objects.exists()
    pm = saved_card(localstripe, home.user)
    done = post_json(
        home.client, "/resident/autopay/enable/", {"unit": home.unit.pk, "monthly_max": "500", "payment_method": pm}
    )
    assert done.status_code == 200
    mandate = AutopayMandate.objects.get(active=True)
    assert (mandate.unit_id, mandate.monthly_max, mandate.card_last4) == (home.unit.pk, 50000, "4242")
    page = home.client.get("/resident/autopay/").content.decode()
    assert "data-monthly-max>¥500.00<" in page and "4242" in page and "data-autopay-off" in page
    off = home.client.post("/resident/autopay/", {"mandate": mandate.pk})
    assert off.status_code == 302 and not AutopayMandate.objects.get(pk=mandate.pk).active


def test_autopay_for_a_neighbours_home_is_404(home: Home, localstripe: str) -> None:
    pm = saved_card(localstripe, home.user)
    body = {"unit": home.world.units[1].pk, "monthly_max": "500", "payment_method": pm}
    assert post_json(home.client, "/resident/autopay/enable/", body).status_code == 404
    assert not AutopayMandate.objects.exists()


def test_a_paid_confirm_answers_200_and_tells_the_resident(
    home: Home, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    """The after-commit side (the notification the toast shows) runs inside the request, as in production."""
    from backend.notifications.models import Notification

    pk = start(home, [home.jan[0]]).json()["payment"]
    card = saved_card(localstripe, home.user)
    with django_capture_on_commit_callbacks(execute=True):
        done = post_json(home.client, f"/resident/pay/{pk}/confirm/", {"payment_method": card})
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    told = Notification.objects.get(recipient=home.user, kind="payment.succeeded")
    assert told.url == f"/resident/pay/{pk}/"


def test_alipay_hands_the_page_the_redirect(home: Home, monkeypatch: Any) -> None:
    from backend.payments import online
    from backend.payments.providers import IntentState

    op = OnlinePayment.objects.create(
        unit=home.unit, user=home.user, amount=1000, line_ids=[home.jan[1].pk], method_type="alipay", intent_id="pi_a"
    )
    seen: dict[str, Any] = {}

    def redirect(payment: OnlinePayment, *, return_url: str) -> tuple[OnlinePayment, IntentState]:
        seen["return_url"] = return_url
        action = {"type": "alipay_handle_redirect", "alipay_handle_redirect": {"url": "https://alipay.example/x"}}
        return payment, IntentState(
            id="pi_a", status="requires_action", amount=1000, amount_received=0, currency="CNY", next_action=action
        )

    monkeypatch.setattr(online, "online_payment_redirect", redirect)
    answer = post_json(home.client, f"/resident/pay/{op.pk}/redirect/").json()
    assert answer["redirect_url"] == "https://alipay.example/x"
    assert seen["return_url"].endswith(f"/resident/pay/{op.pk}/")

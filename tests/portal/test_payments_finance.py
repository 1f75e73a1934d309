"""Finance payment pages through the portal: the list and its filters, a payment's detail and refunds, the
follow-up of online payments without a webhook (and flagged webhook events), the report, the payment settings
with the company's own Stripe keys; residents and other companies are kept out."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from backend.billing import ledger
from backend.billing.models import LedgerEntry, Payment
from backend.gateway.models import StripeAccount, WebhookEvent
from backend.payments import reports
from backend.payments.counter import counter_collect
from backend.payments.models import OnlinePayment, PaymentSettings, Receipt, ReceiptCounter, Refund
from backend.payments.providers import GatewayUnavailable
from tenants.db import connection
from tests.backend.payments.conftest import Home, owed
from tests.backend.payments.conftest import home as home  # noqa: F401  (the fixture)
from tests.backend.payments.conftest import world as world  # noqa: F401  (the fixture)


class Staff:
    """A signed-in portal client that puts the ORM back on the company's schema after every request."""

    def __init__(self, client: Client, tenant: Any, user: Any) -> None:
        self.client, self.tenant, self.user = client, tenant, user
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages are asserted in English

    def get(self, url: str, **params: Any) -> Any:
        response = self.client.get(url, params, follow=False)
        connection.set_tenant(self.tenant)
        return response

    def post(self, url: str, data: dict[str, Any], follow: bool = False) -> Any:
        response = self.client.post(url, data, follow=follow)
        connection.set_tenant(self.tenant)
        return response


@dataclass
class Desk:
    home: Home
    finance: Staff
    admin: Staff
    cashier2: Any
    settled: Payment  # unit 0, by the finance user, cash, settles two January lines
    topup: Payment  # unit 1, by cashier 2, POS, to the prepaid balance


@pytest.fixture
def desk(home: Home, tenant_a: Any, member: Any, client_for: Any) -> Desk:  # noqa: F811
    def staff(*roles: str, **fields: Any) -> Staff:
        user = member(tenant_a, list(roles), **fields)
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        return Staff(client, tenant_a, user)

    finance = staff("finance", name="财务小李")
    admin = staff("company_admin", name="管理员")
    cashier2 = member(tenant_a, ["finance"], name="收费员乙")
    connection.set_tenant(tenant_a)
    lines = home.jan[:2]
    settled = counter_collect(
        unit=home.unit,
        amount=sum(owed(line) for line in lines),
        method="cash",
        by=finance.user,
        line_ids=[line.pk for line in lines],
        payer_name="王业主",
    )
    topup = counter_collect(
        unit=home.world.units[1], amount=5000, method="pos", by=cashier2, to_prepaid=True, reference="POS-77"
    )
    return Desk(home, finance, admin, cashier2, settled, topup)


def listed(response: Any) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-payment="(\d+)"', response.content.decode())}


def field_errors(response: Any, name: str) -> list[str]:
    return re.findall(rf'data-error-for="{name}">([^<]*)<', response.content.decode())


def detail_url(payment: Payment) -> str:
    return f"/staff/payments/{payment.pk}/"


# --- list ----------------------------------------------------------------------------------------


def test_the_list_shows_every_payment_and_filters_them(desk: Desk) -> None:
    f = desk.finance
    everything = f.get("/staff/payments/")
    assert everything.status_code == 200
    assert listed(everything) == {desk.settled.pk, desk.topup.pk}
    assert f'href="{detail_url(desk.settled)}"' in everything.content.decode()
    assert listed(f.get("/staff/payments/", method="pos")) == {desk.topup.pk}
    assert listed(f.get("/staff/payments/", cashier=desk.finance.user.pk)) == {desk.settled.pk}
    assert listed(f.get("/staff/payments/", channel="online")) == set()
    assert listed(f.get("/staff/payments/", unit=desk.home.world.units[1].label)) == {desk.topup.pk}
    today = timezone.localdate()
    assert listed(f.get("/staff/payments/", start=today.isoformat(), end=today.isoformat())) == {
        desk.settled.pk,
        desk.topup.pk,
    }
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert listed(f.get("/staff/payments/", end=yesterday)) == set()
    filtered = f.get("/staff/payments/", method="pos").content.decode()
    assert "1 payment, ¥50.00" in filtered
    wrong = f.get("/staff/payments/", start=today.isoformat(), end=yesterday)
    assert wrong.status_code == 400 and field_errors(wrong, "end")


# --- detail and refunds --------------------------------------------------------------------------


def test_the_detail_shows_the_payment_what_it_settled_and_its_receipt(desk: Desk) -> None:
    page = desk.finance.get(detail_url(desk.settled))
    html = page.content.decode()
    assert page.status_code == 200
    receipt = Receipt.objects.get(payment=desk.settled)
    assert receipt.number in html
    received = timezone.localtime(desk.settled.received_at).strftime("%Y-%m-%d %H:%M")
    assert received in html and "财务小李" in html and "王业主" in html and "Cash" in html
    nets = re.findall(r'<tr data-line="(\d+)">.*?data-net>([^<]*)<', html, re.S)
    lines = desk.home.jan[:2]
    assert {int(pk) for pk, _ in nets} == {line.pk for line in lines}
    assert "novalidate data-refund-form>" in html


def test_a_partial_refund_of_a_counter_payment_is_recorded(desk: Desk) -> None:
    done = desk.finance.post(detail_url(desk.settled), {"amount": "10.50", "reason": "多收了"}, follow=True)
    assert done.status_code == 200
    assert "Refunded ¥10.50." in done.content.decode()
    refund = Refund.objects.get(payment=desk.settled)
    assert (refund.amount, refund.reason, refund.provider, refund.requested_by_id) == (
        1050,
        "多收了",
        "offline",
        desk.finance.user.pk,
    )
    assert LedgerEntry.objects.filter(payment=desk.settled, kind="refund").get().amount == 1050
    assert f"{(desk.settled.amount - 1050) / 100:,.2f}" in done.content.decode()


def test_an_over_refund_shows_the_field_error_and_records_nothing(desk: Desk) -> None:
    too_much = f"{desk.topup.amount / 100 + 0.01:.2f}"
    page = desk.finance.post(detail_url(desk.topup), {"amount": too_much, "reason": "退款"})
    assert page.status_code == 400
    assert field_errors(page, "amount") == ["At most ¥50.00 can still be refunded."]
    no_reason = desk.finance.post(detail_url(desk.topup), {"amount": "1.00", "reason": " "})
    assert no_reason.status_code == 400 and field_errors(no_reason, "reason")
    bad_amount = desk.finance.post(detail_url(desk.topup), {"amount": "1.001", "reason": "x"})
    assert bad_amount.status_code == 400 and field_errors(bad_amount, "amount")
    assert not Refund.objects.exists()
    assert not LedgerEntry.objects.filter(kind="refund").exists()


def test_a_refund_with_the_gateway_down_shows_the_error_and_refunds_nothing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    online = ledger.payment_record(
        unit=desk.home.unit,
        amount=3000,
        method="card",
        channel=Payment.Channel.ONLINE,
        to_prepaid=True,
        reference="pi_refund_gateway_down",
    ).payment

    class Down:
        def refund_create(self, **kwargs: Any) -> Any:
            raise GatewayUnavailable("connection refused")

    monkeypatch.setattr("backend.payments.refunds.stripe_provider", lambda: Down())
    page = desk.finance.post(detail_url(online), {"amount": "10", "reason": "退款"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "The payment gateway cannot be reached just now" in html
    # The refund written before Stripe was asked is failed and no longer counts: all of it is refundable.
    assert list(Refund.objects.filter(payment=online).values_list("status", "failure_code", "entry")) == [
        ("failed", "gateway_unavailable", None)
    ]
    assert not LedgerEntry.objects.filter(payment=online, kind="refund").exists()
    assert "data-refundable>¥30.00<" in html


def test_a_fully_refunded_payment_offers_no_more_refund(desk: Desk) -> None:
    desk.finance.post(detail_url(desk.topup), {"amount": "50", "reason": "全部退回"})
    html = desk.finance.get(detail_url(desk.topup)).content.decode()
    assert "novalidate data-refund-form>" not in html and "全部退回" in html


# --- follow-up -----------------------------------------------------------------------------------


def _online(desk: Desk, intent: str, minutes_ago: int, **extra: Any) -> OnlinePayment:
    return OnlinePayment.objects.create(
        unit=desk.home.unit,
        user=desk.home.user,
        amount=2000,
        intent_id=intent,
        status=extra.pop("status", "processing"),
        confirmed_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        **extra,
    )


def test_follow_up_lists_a_stale_online_payment_not_a_fresh_or_webhooked_one(desk: Desk) -> None:
    stale = _online(desk, "pi_followup_stale", 90)
    fresh = _online(desk, "pi_followup_fresh", 3)
    heard = _online(desk, "pi_followup_heard", 90, webhook_at=timezone.now())
    html = desk.finance.get("/staff/payments/followup/").content.decode()
    shown = {int(pk) for pk in re.findall(r'data-online="(\d+)"', html)}
    assert shown == {stale.pk}
    assert fresh.pk not in shown and heard.pk not in shown
    assert "pi_followup_stale" in html and "90 min" in html and "Re-check now" in html


def test_re_check_with_the_gateway_down_says_so(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = _online(desk, "pi_followup_down", 90)

    def down(op: OnlinePayment) -> OnlinePayment:
        raise GatewayUnavailable("connection refused")

    monkeypatch.setattr("portal.staff.payments.followup.online_payment_refresh", down)
    page = desk.finance.post("/staff/payments/followup/", {"action": "recheck", "pk": stale.pk}, follow=True)
    assert "The payment gateway cannot be reached just now" in page.content.decode()
    stale.refresh_from_db()
    assert stale.status == "processing" and stale.payment_id is None


def test_retrying_a_flagged_webhook_event_processes_it_once_its_payment_is_known(desk: Desk) -> None:
    op = _online(desk, "pi_followup_late", 90)
    obj = {
        "id": op.intent_id,
        "object": "payment_intent",
        "status": "requires_payment_method",
        "amount": 2000,
        "currency": "cny",
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
    }
    event = WebhookEvent.objects.create(
        event_id="evt_followup_1",
        type="payment_intent.payment_failed",
        tenant_schema=connection.schema_name,
        object_id=str(op.intent_id),
        payload={"data": {"object": obj}},
        status="flagged",
        note="no online payment",
    )
    other = WebhookEvent.objects.create(
        event_id="evt_followup_2", type="payment_intent.succeeded", tenant_schema="beta", payload={}, status="flagged"
    )
    html = desk.finance.get("/staff/payments/followup/").content.decode()
    assert f'data-event="{event.pk}"' in html and f'data-event="{other.pk}"' not in html
    assert desk.finance.post("/staff/payments/followup/", {"action": "retry", "pk": other.pk}).status_code == 404
    page = desk.finance.post("/staff/payments/followup/", {"action": "retry", "pk": event.pk}, follow=True)
    assert "Webhook event evt_followup_1 processed." in page.content.decode()
    event.refresh_from_db()
    op.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 1)
    assert op.status == "failed" and op.webhook_at is not None
    assert f'data-event="{event.pk}"' not in page.content.decode()


# --- report --------------------------------------------------------------------------------------


def test_the_report_page_and_its_workbook(desk: Desk) -> None:
    desk.finance.post(detail_url(desk.topup), {"amount": "5", "reason": "退一部分"})
    today = timezone.localdate().isoformat()
    total = desk.settled.amount + desk.topup.amount
    page = desk.finance.get("/staff/payments/report/", start=today, end=today)
    html = page.content.decode()
    assert page.status_code == 200
    received = re.search(r"data-total-received><strong>([^<]*)<", html)
    net = re.search(r"data-total-net><strong>([^<]*)<", html)
    assert received and received.group(1) == f"¥{total / 100:,.2f}"
    assert net and net.group(1) == f"¥{(total - 500) / 100:,.2f}"
    assert "收费员乙" in html and "财务小李" in html
    xlsx = desk.finance.get("/staff/payments/report/", start=today, end=today, format="xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = [list(r) for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)]
    assert rows[1][:3] == ["Received", 2, total / 100]
    assert rows[2][:3] == ["Refunded", 1, 5]
    bad = desk.finance.get("/staff/payments/report/", start="2026-13-01")
    assert bad.status_code == 400 and field_errors(bad, "start")
    default = reports.this_month()
    assert f'value="{default.start.isoformat()}"' in desk.finance.get("/staff/payments/report/").content.decode()


# --- settings ------------------------------------------------------------------------------------


def _settings_data(**override: Any) -> dict[str, Any]:
    data = {
        "form": "settings",
        "rule-receipt_prefix": "WY",
        "rule-receipt_date_format": "YYYY",
        "rule-receipt_digits": "4",
        "rule-online_enabled": "on",
        "rule-card_enabled": "on",
        "rule-wechat_enabled": "on",
        "rule-followup_minutes": "20",
    }
    data.update(override)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_save_the_numbering_rule_and_show_the_next_number(desk: Desk) -> None:
    saved = desk.finance.post("/staff/payments/settings/", _settings_data(), follow=True)
    assert "Payment settings saved." in saved.content.decode()
    rule = PaymentSettings.load()
    assert (rule.receipt_prefix, rule.receipt_date_format, rule.receipt_digits, rule.followup_minutes) == (
        "WY",
        "YYYY",
        4,
        20,
    )
    assert (rule.wechat_enabled, rule.alipay_enabled, rule.autopay_enabled) == (True, False, False)
    year = timezone.localdate().year
    # The year's counter, not the receipts there are: a receipt that was removed (a committed test's clean-up)
    # does not give its number back, and the next number never repeats one.
    taken = ReceiptCounter.objects.filter(year=year).values_list("last", flat=True).first() or 0
    next_sequence = taken + 1
    assert f"WY{year}{next_sequence:04d}" in saved.content.decode()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"rule-receipt_digits": "2"}, "receipt_digits"),
        ({"rule-receipt_digits": "11"}, "receipt_digits"),
        ({"rule-receipt_prefix": "S-F"}, "receipt_prefix"),
        ({"rule-receipt_prefix": "ABCDEFGHIJK"}, "receipt_prefix"),
        ({"rule-followup_minutes": "0"}, "followup_minutes"),
    ],
)
def test_settings_refuse_a_bad_rule(desk: Desk, override: dict[str, str], field: str) -> None:
    page = desk.finance.post("/staff/payments/settings/", _settings_data(**override))
    assert page.status_code == 400
    assert re.search(rf'data-error-for="rule-{field}"|data-error-for="{field}"', page.content.decode())
    rule = PaymentSettings.load()
    assert (rule.receipt_prefix, rule.receipt_digits, rule.followup_minutes) == ("SF", 6, 30)


def test_the_stripe_secret_is_stored_but_never_rendered_back(desk: Desk) -> None:
    secret, hook = "sk_test_veryverysecret9876", "whsec_hushhush4321"
    page = desk.admin.post(
        "/staff/payments/settings/",
        {
            "form": "stripe",
            "stripe-secret_key": secret,
            "stripe-publishable_key": "pk_test_public1111",
            "stripe-webhook_secret": hook,
            "stripe-api_base": "",
        },
        follow=True,
    )
    html = page.content.decode()
    account = StripeAccount.objects.get(tenant=desk.admin.tenant)
    assert (account.secret_key, account.webhook_secret, account.publishable_key) == (secret, hook, "pk_test_public1111")
    assert secret not in html and "veryverysecret" not in html and "hushhush" not in html
    assert "…9876" in html and "…4321" in html and 'data-gateway="own"' in html
    # Saving again with the secret fields blank keeps them.
    desk.admin.post(
        "/staff/payments/settings/",
        {"form": "stripe", "stripe-publishable_key": "pk_test_public2222", "stripe-api_base": ""},
    )
    account.refresh_from_db()
    assert (account.secret_key, account.webhook_secret, account.publishable_key) == (secret, hook, "pk_test_public2222")
    wrong = desk.admin.post("/staff/payments/settings/", {"form": "stripe", "stripe-secret_key": "nonsense"})
    assert wrong.status_code == 400 and "nonsense" not in wrong.content.decode()
    desk.admin.post("/staff/payments/settings/", {"form": "stripe", "stripe-remove": "on"})
    assert not StripeAccount.objects.filter(tenant=desk.admin.tenant).exists()


def test_finance_sees_the_gateway_but_cannot_set_stripe_keys(desk: Desk) -> None:
    html = desk.finance.get("/staff/payments/settings/").content.decode()
    assert "data-gateway=" in html and "data-stripe-account" not in html
    refused = desk.finance.post("/staff/payments/settings/", {"form": "stripe", "stripe-secret_key": "sk_test_x"})
    assert refused.status_code == 404
    assert not StripeAccount.objects.exists()


# --- who may see what ----------------------------------------------------------------------------

PAGES = ["/staff/payments/", "/staff/payments/followup/", "/staff/payments/report/", "/staff/payments/settings/"]


def test_a_resident_is_refused_every_page(desk: Desk) -> None:
    for url in [*PAGES, detail_url(desk.settled)]:
        response = desk.home.client.get(url)
        connection.set_tenant(desk.finance.tenant)
        assert response.status_code == 403, url
    refused = desk.home.client.post(detail_url(desk.settled), {"amount": "1", "reason": "x"})
    connection.set_tenant(desk.finance.tenant)
    assert refused.status_code == 403
    assert not Refund.objects.exists()


def test_company_beta_cannot_open_alphas_payment(desk: Desk, tenant_b: Any, member: Any, client_for: Any) -> None:
    user = member(tenant_b, ["finance"])
    client = client_for(tenant_b, user)
    beta = Staff(client, tenant_b, user)
    assert beta.get(detail_url(desk.settled)).status_code == 404
    assert listed(beta.get("/staff/payments/")) == set()
    assert beta.post(detail_url(desk.settled), {"amount": "1", "reason": "x"}).status_code == 404
    connection.set_tenant(desk.finance.tenant)
    assert not Refund.objects.exists()


def test_staff_of_another_office_cannot_open_the_payment(
    desk: Desk, tenant_a: Any, member: Any, client_for: Any
) -> None:
    from backend.accounts.models import Membership

    user = member(tenant_a, ["finance"])
    Membership.objects.filter(user=user, tenant=tenant_a).update(
        scope_all=False, scope_office_ids=[desk.home.unit.office_id + 999]
    )
    other = Staff(client_for(tenant_a, user), tenant_a, user)
    assert other.get(detail_url(desk.settled)).status_code == 404
    assert listed(other.get("/staff/payments/")) == set()

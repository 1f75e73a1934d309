"""Staff money pages: record a payment, waivers with four-eyes approval, deposits, one-off charges, billing
settings. Each page is driven through the portal and checked against the ledger (selectors.unit_account)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client

from backend.accounts.models import Membership
from backend.accounts.permissions import Can
from backend.audit.models import AuditEntry
from backend.billing import ledger, services
from backend.billing.models import (
    BillingSettings,
    BillLine,
    Deposit,
    FeeItem,
    LedgerEntry,
    Payment,
    WaiverRequest,
)
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.billing.selectors import unit_account
from backend.properties import services as registry
from backend.properties.models import ManagementOffice, Unit
from tenants.company.models import CompanySettings
from tests.backend.billing.conftest import EVERYTHING, JAN, make_item

MAY = dt.date(2026, 5, 1)
JUN = dt.date(2026, 6, 1)


@dataclass
class Money:
    office: ManagementOffice
    other_office: ManagementOffice
    unit: Unit  # 100 m²: management ¥200 + garbage ¥10 a month, billed May and June → owes ¥420
    unit2: Unit
    other_unit: Unit  # in the other office
    mgmt: FeeItem
    garbage: FeeItem
    other_item: FeeItem


@pytest.fixture
def money(in_tenant_a: Any) -> Money:
    office = registry.office_create(name="收费管理处", scope=EVERYTHING)
    other_office = registry.office_create(name="别的管理处", scope=EVERYTHING)
    units, estates = [], []
    for off, name in ((office, "金色家园"), (other_office, "银色家园")):
        estate = registry.estate_create(office_id=off.pk, name=name, scope=EVERYTHING)
        estates.append(estate)
        building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
        registry.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=2, area="100", scope=EVERYTHING
        )
        units.append(list(Unit.objects.filter(building=building).order_by("number")))
    mgmt = make_item(office, "mgmt", "area", "2.00")
    garbage = make_item(office, "garbage", "fixed", "10")
    other_item = make_item(other_office, "mgmt", "area", "1.00")
    for item, est in ((mgmt, estates[0]), (garbage, estates[0]), (other_item, estates[1])):
        services.fee_assign(item=item, scope=EVERYTHING, start_date=JAN, estate_id=est.pk)
    for period in (MAY, JUN):
        bill_run_execute(bill_run_create(period=period, scope=EVERYTHING, by=None).pk)
    return Money(office, other_office, units[0][0], units[0][1], units[1][0], mgmt, garbage, other_item)


class Staff:
    """A signed-in portal client that puts the ORM back on the company's schema after every request."""

    def __init__(self, client: Client, tenant: Any, user: Any) -> None:
        self.client, self.tenant, self.user = client, tenant, user
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages are asserted in English

    def get(self, url: str) -> Any:
        response = self.client.get(url)
        connection.set_tenant(self.tenant)
        return response

    def post(self, url: str, data: dict[str, Any]) -> Any:
        response = self.client.post(url, data)
        connection.set_tenant(self.tenant)
        return response


@pytest.fixture
def staff(tenant_a: Any, member: Any, client_for: Any) -> Any:
    def make(*roles: str, offices: list[int] | None = None) -> Staff:
        user = member(tenant_a, list(roles))
        if offices is not None:
            Membership.objects.filter(user=user, tenant=tenant_a).update(scope_all=False, scope_office_ids=offices)
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        return Staff(client, tenant_a, user)

    return make


def payment_url(unit: Unit) -> str:
    return f"/staff/billing/units/{unit.pk}/payment/"


def field_errors(response: Any, name: str) -> list[str]:
    html = response.content.decode()
    return re.findall(rf'data-error-for="{name}">([^<]*)<', html)


def hidden_key(response: Any) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', response.content.decode())
    assert match, "the form carries an idempotency key"
    return match.group(1)


def line_ids(unit: Unit, period: dt.date | None = None) -> list[str]:
    qs = BillLine.objects.filter(unit=unit).order_by("period_start", "id")
    if period:
        qs = qs.filter(period_start=period)
    return [str(pk) for pk in qs.values_list("pk", flat=True)]


def pay(s: Staff, unit: Unit, key: str, **data: Any) -> Any:
    body = {
        "mode": "lines",
        "line_ids": line_ids(unit),
        "amount": "420.00",
        "method": "cash",
        "remainder_to_prepaid": "on",
        "idempotency_key": key,
    }
    body.update(data)
    return s.post(payment_url(unit), body)


# --- record a payment ---------------------------------------------------------------------------------------


def test_the_payment_form_lists_unpaid_lines_oldest_first_all_ticked(money: Money, staff: Any) -> None:
    s = staff("finance")
    response = s.get(payment_url(money.unit))
    assert response.status_code == 200
    html = response.content.decode()
    ticked = re.findall(r'name="line_ids" value="(\d+)"[^>]*checked', html)
    assert ticked == line_ids(money.unit)  # May's lines before June's, every one ticked
    assert 'value="420.00"' in html  # the amount starts at what is owed
    assert not re.search(r'name="remainder_to_prepaid"[^>]*checked', html)  # more than owed is a deliberate choice
    assert hidden_key(response).startswith("portal-")
    assert "Remote remittance (异地汇款)" in html and "Bank collection (银行托收)" in html
    assert "WeChat Pay" not in html  # online methods are not typed in at the counter


def test_paying_the_oldest_lines_settles_them_and_shows_the_result(money: Money, staff: Any) -> None:
    s = staff("finance")
    key = hidden_key(s.get(payment_url(money.unit)))
    response = pay(s, money.unit, key, line_ids=line_ids(money.unit, MAY), amount="210", payer_name="张三")
    assert response.status_code == 302
    payment = Payment.objects.get(unit=money.unit)
    assert response["Location"].endswith(f"?payment={payment.pk}")
    assert (payment.amount, payment.method, payment.payer_name, payment.recorded_by_id) == (
        21000,
        "cash",
        "张三",
        s.user.pk,
    )
    account = unit_account(money.unit.pk)
    assert (account.owed, account.prepaid) == (21000, 0)
    june = BillLine.objects.filter(unit=money.unit, period_start=JUN)
    assert not LedgerEntry.objects.filter(bill_line__in=june, kind="settle").exists()

    page = s.get(response["Location"]).content.decode()
    result = page.split("data-payment-result", 1)[1].split("</section>", 1)[0]
    assert "¥200.00" in result and "¥10.00" in result and "2026-05" in result
    assert re.search(r"data-result-prepaid>¥0.00<", result)
    assert re.search(r"data-result-owed>¥210.00<", result)
    # Every payment has its receipt: numbered, linked, printable.
    receipt = payment.receipt
    assert f'data-result-receipt="{receipt.number}"' in result
    assert f'href="/staff/payments/receipts/{receipt.pk}/pdf/"' in result
    # June's lines are still offered, May's are gone
    assert re.findall(r'name="line_ids" value="(\d+)"', page) == line_ids(money.unit, JUN)


def test_more_than_owed_goes_to_the_prepaid_balance_when_ticked(money: Money, staff: Any) -> None:
    s = staff("company_admin")
    response = pay(s, money.unit, "portal-remainder-1", amount="500.00", method="pos", reference="POS-778")
    assert response.status_code == 302
    account = unit_account(money.unit.pk)
    assert (account.owed, account.prepaid) == (0, 8000)
    page = s.get(response["Location"]).content.decode()
    assert re.search(r"data-result-to-prepaid>¥80.00<", page)
    assert re.search(r"data-result-prepaid>¥80.00<", page)


def test_more_than_owed_without_the_remainder_box_is_refused(money: Money, staff: Any) -> None:
    s = staff("finance")
    response = pay(s, money.unit, "portal-remainder-2", amount="500.00", remainder_to_prepaid="")
    assert response.status_code == 400
    assert "more than the ticked lines owe (¥420.00)" in field_errors(response, "amount")[0]
    assert not Payment.objects.exists()


def test_top_up_only_goes_to_the_prepaid_balance(money: Money, staff: Any) -> None:
    s = staff("finance")
    stale = [*line_ids(money.unit), "999999"]  # ticked boxes do not matter to a top-up
    response = pay(s, money.unit, "portal-topup-1", mode="topup", amount="100", method="bank_transfer", line_ids=stale)
    assert response.status_code == 302
    account = unit_account(money.unit.pk)
    assert (account.owed, account.prepaid) == (42000, 10000)
    assert Payment.objects.get().to_prepaid is True


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12.345", "An amount has at most two decimals (fen)."),
        ("abc", "Enter an amount in yuan, e.g. 128.50."),
        ("", "This field is required."),
        ("0", "Enter an amount above zero."),
        ("-5", "Enter an amount above zero."),
    ],
)
def test_a_bad_amount_is_a_field_error_and_records_nothing(money: Money, staff: Any, amount: str, message: str) -> None:
    s = staff("finance")
    response = pay(s, money.unit, "portal-bad-amount", amount=amount)
    assert response.status_code == 400
    assert field_errors(response, "amount") == [message]
    assert not Payment.objects.exists() and not LedgerEntry.objects.filter(kind="payment").exists()
    assert hidden_key(response) == "portal-bad-amount"  # the same form can be sent again


def test_bad_method_and_no_ticked_lines_are_field_errors(money: Money, staff: Any) -> None:
    s = staff("finance")
    response = pay(s, money.unit, "portal-bad-other", method="wechat", line_ids=[])
    assert response.status_code == 400
    assert field_errors(response, "method")
    assert field_errors(response, "line_ids") == ["Tick the lines this payment settles, or choose to top up only."]
    assert not Payment.objects.exists()


def test_a_line_of_another_unit_is_refused(money: Money, staff: Any) -> None:
    s = staff("finance")
    response = pay(s, money.unit, "portal-foreign-line", line_ids=line_ids(money.unit2))
    assert response.status_code == 400
    assert field_errors(response, "line_ids")
    assert not Payment.objects.exists()


def test_a_form_without_its_key_is_refused(money: Money, staff: Any) -> None:
    s = staff("finance")
    response = pay(s, money.unit, "")
    assert response.status_code == 400
    assert "This form has expired" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_double_submit_records_one_payment(money: Money, staff: Any) -> None:
    s = staff("finance")
    key = hidden_key(s.get(payment_url(money.unit)))
    first = pay(s, money.unit, key, amount="500.00")
    second = pay(s, money.unit, key, amount="500.00")  # the same form again: its lines are paid by now
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1
    account = unit_account(money.unit.pk)
    assert (account.owed, account.prepaid) == (0, 8000)


def test_a_double_submit_racing_past_the_form_is_stopped_by_the_service(money: Money, staff: Any) -> None:
    """Two requests checked before either wrote: the ledger's key check still records one payment."""
    s = staff("finance")
    ledger.payment_record(unit=money.unit, amount=42000, method="cash", idempotency_key="portal-race-key-1")
    from portal.staff.billing import money as billing_money

    original = billing_money._already_recorded
    billing_money._already_recorded = lambda unit, key: None  # type: ignore[assignment]
    try:
        response = pay(s, money.unit, "portal-race-key-1", line_ids=[], mode="topup", amount="420.00")
    finally:
        billing_money._already_recorded = original  # type: ignore[assignment]
    assert response.status_code == 302
    assert Payment.objects.count() == 1


# --- waivers --------------------------------------------------------------------------------------------------


def waiver_url(line: BillLine) -> str:
    return f"/staff/billing/lines/{line.pk}/waiver/"


def mgmt_line(m: Money, unit: Unit | None = None, period: dt.date = MAY) -> BillLine:
    return BillLine.objects.get(unit=unit or m.unit, fee_item__code="mgmt", period_start=period)


def test_customer_service_asks_for_a_waiver(money: Money, staff: Any) -> None:
    s = staff("customer_service")
    line = mgmt_line(money)
    page = s.get(waiver_url(line))
    assert page.status_code == 200 and 'value="200.00"' in page.content.decode()
    response = s.post(waiver_url(line), {"kind": "waiver", "amount": "50", "reason": "漏水损失补偿"})
    assert response.status_code == 302
    request = WaiverRequest.objects.get()
    assert (request.amount, request.kind, request.status, request.requested_by_id) == (
        5000,
        "waiver",
        "pending",
        s.user.pk,
    )
    assert unit_account(money.unit.pk).owed == 42000  # nothing credited before approval
    listed = s.get(waiver_url(line)).content.decode()
    assert f'data-waiver="{request.pk}" data-status="pending"' in listed


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "waiver", "amount": "250", "reason": "太多"}, "amount", "At most ¥200.00 on this line."),
        ({"kind": "waiver", "amount": "1.234", "reason": "x"}, "amount", "An amount has at most two decimals (fen)."),
        ({"kind": "waiver", "amount": "10", "reason": ""}, "reason", "This field is required."),
        ({"kind": "gift", "amount": "10", "reason": "x"}, "kind", None),
    ],
)
def test_a_bad_waiver_request_is_a_field_error(money: Money, staff: Any, data: Any, field: str, message: Any) -> None:
    s = staff("finance")
    response = s.post(waiver_url(mgmt_line(money)), data)
    assert response.status_code == 400
    errors = field_errors(response, field)
    assert errors and (message is None or errors == [message])
    assert not WaiverRequest.objects.exists()


def test_a_correction_of_a_paid_line_is_allowed_up_to_the_charge(money: Money, staff: Any) -> None:
    ledger.payment_record(unit=money.unit, amount=42000, method="cash")
    s = staff("finance")
    response = s.post(waiver_url(mgmt_line(money)), {"kind": "correction", "amount": "200", "reason": "面积录错"})
    assert response.status_code == 302
    assert WaiverRequest.objects.get().kind == "correction"


def test_waiver_approval_needs_a_second_person(money: Money, staff: Any) -> None:
    requester = staff("finance")
    line = mgmt_line(money)
    requester.post(waiver_url(line), {"kind": "waiver", "amount": "50", "reason": "漏水损失补偿"})
    waiver = WaiverRequest.objects.get()

    listing = requester.get("/staff/billing/waivers/").content.decode()
    assert f'data-waiver="{waiver.pk}"' in listing and "漏水损失补偿" in listing and "¥50.00" in listing

    own = requester.post("/staff/billing/waivers/", {"waiver": waiver.pk, "decision": "approve"})
    assert own.status_code == 400
    assert "A waiver needs a second person to approve it." in own.content.decode()
    waiver.refresh_from_db()
    assert waiver.status == "pending" and unit_account(money.unit.pk).owed == 42000

    approver = staff("company_admin")
    ok = approver.post("/staff/billing/waivers/", {"waiver": waiver.pk, "decision": "approve", "note": "同意"})
    assert ok.status_code == 302
    waiver.refresh_from_db()
    assert (waiver.status, waiver.decided_by_id) == ("approved", approver.user.pk)
    assert unit_account(money.unit.pk).owed == 42000 - 5000
    entry = LedgerEntry.objects.get(kind="waiver")
    assert (entry.bill_line_id, entry.amount, entry.approved_by_id) == (line.pk, 5000, approver.user.pk)

    history = approver.get("/staff/billing/waivers/").content.decode()
    assert "data-no-pending" in history
    assert f'<tr data-waiver="{waiver.pk}">' in history and "同意" in history

    again = approver.post("/staff/billing/waivers/", {"waiver": waiver.pk, "decision": "approve"})
    assert again.status_code == 400 and "already decided" in again.content.decode()
    assert LedgerEntry.objects.filter(kind="waiver").count() == 1


def test_a_rejection_needs_a_note_and_credits_nothing(money: Money, staff: Any) -> None:
    staff("customer_service").post(waiver_url(mgmt_line(money)), {"kind": "waiver", "amount": "50", "reason": "x"})
    waiver = WaiverRequest.objects.get()
    s = staff("finance")
    bare = s.post("/staff/billing/waivers/", {"waiver": waiver.pk, "decision": "reject", "note": ""})
    assert bare.status_code == 400 and "Say why the waiver is rejected." in bare.content.decode()
    ok = s.post("/staff/billing/waivers/", {"waiver": waiver.pk, "decision": "reject", "note": "证据不足"})
    assert ok.status_code == 302
    waiver.refresh_from_db()
    assert (waiver.status, waiver.decision_note) == ("rejected", "证据不足")
    assert not LedgerEntry.objects.filter(kind="waiver").exists()


# --- deposits -------------------------------------------------------------------------------------------------


def deposits_url(unit: Unit) -> str:
    return f"/staff/billing/units/{unit.pk}/deposits/"


def test_a_deposit_is_held_and_released_in_part(money: Money, staff: Any) -> None:
    s = staff("finance")
    assert s.get(deposits_url(money.unit)).status_code == 200
    held = s.post(
        deposits_url(money.unit),
        {
            "action": "hold",
            "hold-purpose": "装修保证金",
            "hold-amount": "2,000",
            "hold-method": "bank_transfer",
            "hold-reference": "T-1",
            "hold-payer_name": "李四",
        },
    )
    assert held.status_code == 302
    deposit = Deposit.objects.get()
    assert (deposit.purpose, deposit.amount, deposit.payer_name) == ("装修保证金", 200000, "李四")
    assert unit_account(money.unit.pk).deposits_held == 200000
    assert unit_account(money.unit.pk).owed == 42000  # held apart from the fee account

    release = {"action": "release", "release-deposit": deposit.pk, "release-reason": "装修完工验收"}
    too_much = s.post(deposits_url(money.unit), {**release, "release-refund": "1900", "release-forfeit": "200"})
    assert too_much.status_code == 400
    assert field_errors(too_much, "refund") == ["Only ¥2000.00 of this deposit is still held."]
    assert unit_account(money.unit.pk).deposits_held == 200000

    ok = s.post(deposits_url(money.unit), {**release, "release-refund": "1500", "release-forfeit": "300"})
    assert ok.status_code == 302
    assert unit_account(money.unit.pk).deposits_held == 20000
    assert set(LedgerEntry.objects.filter(deposit=deposit).values_list("kind", "amount")) == {
        ("deposit_held", 200000),
        ("deposit_refunded", 150000),
        ("deposit_forfeited", 30000),
    }
    page = s.get(deposits_url(money.unit)).content.decode()
    assert re.search(r"data-held>¥200.00<", page)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"hold-purpose": "", "hold-amount": "100", "hold-method": "cash"}, "purpose"),
        ({"hold-purpose": "押金", "hold-amount": "1.001", "hold-method": "cash"}, "amount"),
        ({"hold-purpose": "押金", "hold-amount": "100", "hold-method": "bitcoin"}, "method"),
    ],
)
def test_a_bad_deposit_is_a_field_error(money: Money, staff: Any, data: Any, field: str) -> None:
    response = staff("finance").post(deposits_url(money.unit), {"action": "hold", **data})
    assert response.status_code == 400 and field_errors(response, field)
    assert not Deposit.objects.exists()


def test_a_release_with_nothing_or_a_bad_amount_is_refused(money: Money, staff: Any) -> None:
    deposit = ledger.deposit_hold(unit=money.unit, amount=10000, purpose="押金", method="cash")
    s = staff("finance")
    base = {"action": "release", "release-deposit": deposit.pk, "release-reason": "退"}
    nothing = s.post(deposits_url(money.unit), base)
    assert nothing.status_code == 400 and field_errors(nothing, "refund")
    bad = s.post(deposits_url(money.unit), {**base, "release-refund": "x"})
    assert bad.status_code == 400 and field_errors(bad, "refund") == ["Enter an amount in yuan, e.g. 128.50."]
    assert unit_account(money.unit.pk).deposits_held == 10000


def test_a_deposit_of_another_unit_cannot_be_released_here(money: Money, staff: Any) -> None:
    deposit = ledger.deposit_hold(unit=money.unit2, amount=10000, purpose="押金", method="cash")
    response = staff("finance").post(
        deposits_url(money.unit),
        {"action": "release", "release-deposit": deposit.pk, "release-refund": "100", "release-reason": "x"},
    )
    assert response.status_code == 404
    assert unit_account(money.unit2.pk).deposits_held == 10000


# --- one-off charges ------------------------------------------------------------------------------------------


def adhoc_url(unit: Unit) -> str:
    return f"/staff/billing/units/{unit.pk}/adhoc/"


def test_a_one_off_charge_is_posted(money: Money, staff: Any) -> None:
    s = staff("company_admin")
    page = s.get(adhoc_url(money.unit)).content.decode()
    assert f'value="{money.garbage.pk}"' in page and f'value="{money.other_item.pk}"' not in page
    response = s.post(
        adhoc_url(money.unit),
        {"fee_item": money.garbage.pk, "amount": "80", "description": "装修垃圾清运 2 车", "due_date": "2026-07-20"},
    )
    assert response.status_code == 302
    line = BillLine.objects.get(kind="adhoc")
    assert (line.unit_id, line.amount, line.due_date, line.created_by_id) == (
        money.unit.pk,
        8000,
        dt.date(2026, 7, 20),
        s.user.pk,
    )
    assert unit_account(money.unit.pk).owed == 42000 + 8000
    assert "装修垃圾清运 2 车" in s.get(adhoc_url(money.unit)).content.decode()


def test_a_one_off_charge_is_settled_from_the_prepaid_balance(money: Money, staff: Any) -> None:
    ledger.payment_record(unit=money.unit, amount=5000, method="cash", to_prepaid=True)
    s = staff("finance")
    response = s.post(adhoc_url(money.unit), {"fee_item": money.garbage.pk, "amount": "30", "description": "补卡"})
    assert response.status_code == 302
    account = unit_account(money.unit.pk)
    assert (account.owed, account.prepaid) == (42000, 2000)
    assert "¥30.00 of it was settled from the prepaid balance." in s.get(adhoc_url(money.unit)).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "80", "description": "x"}, "fee_item"),
        ({"fee_item": "OTHER", "amount": "80", "description": "x"}, "fee_item"),
        ({"fee_item": "GARBAGE", "amount": "8.888", "description": "x"}, "amount"),
        ({"fee_item": "GARBAGE", "amount": "80", "description": ""}, "description"),
        ({"fee_item": "GARBAGE", "amount": "80", "description": "x", "due_date": "20.7.2026"}, "due_date"),
    ],
)
def test_a_bad_one_off_charge_is_a_field_error(money: Money, staff: Any, data: Any, field: str) -> None:
    ids = {"OTHER": money.other_item.pk, "GARBAGE": money.garbage.pk}
    data = {k: ids.get(v, v) for k, v in data.items()}
    response = staff("finance").post(adhoc_url(money.unit), data)
    assert response.status_code == 400 and field_errors(response, field)
    assert not BillLine.objects.filter(kind="adhoc").exists()


# --- billing settings -----------------------------------------------------------------------------------------

SETTINGS = {
    "billing_day": "15",
    "payment_due_day": "25",
    "auto_bill_run": "",
    "settlement_order": "priority",
    "meter_anomaly_ratio": "2.5",
    "reminders_enabled": "on",
    "remind_days_before_due": "5",
    "remind_on_overdue": "on",
    "remind_every_days": "7",
    "remind_max_per_week": "1",
    "remind_hour_from": "10",
    "remind_hour_to": "18",
    "sanctions": ["no_paid_booking", "no_renovation"],
    "sanction_min_overdue_days": "60",
}


def test_billing_settings_are_saved_and_audited(money: Money, staff: Any) -> None:
    s = staff("company_admin")
    page = s.get("/staff/billing/settings/")
    assert page.status_code == 200 and 'name="billing_day" value="1"' in page.content.decode()
    response = s.post("/staff/billing/settings/", SETTINGS)
    assert response.status_code == 302
    settings = BillingSettings.load()
    assert settings.auto_bill_run is False
    assert settings.settlement_order == "priority"
    assert str(settings.meter_anomaly_ratio) == "2.50"
    assert (settings.remind_every_days, settings.remind_max_per_week) == (7, 1)
    assert (settings.remind_hour_from, settings.remind_hour_to) == (10, 18)
    assert sorted(settings.sanctions) == ["no_paid_booking", "no_renovation"]
    assert settings.sanction_min_overdue_days == 60
    company = CompanySettings.objects.get()
    assert (company.billing_day, company.payment_due_day) == (15, 25)

    audit = AuditEntry.objects.filter(action="billing.settings_update").get()
    assert audit.user_id == s.user.pk
    assert audit.changes["before"]["billing_day"] == 1 and audit.changes["after"]["billing_day"] == 15
    assert audit.changes["before"]["settlement_order"] == "oldest_first"
    assert audit.changes["after"]["sanctions"] == ["no_paid_booking", "no_renovation"]
    assert "remind_on_overdue" not in audit.changes["after"]  # unchanged fields are not listed

    again = s.post("/staff/billing/settings/", SETTINGS)
    assert again.status_code == 302
    assert AuditEntry.objects.filter(action="billing.settings_update").count() == 1  # nothing changed


def test_the_settlement_order_setting_changes_what_a_payment_settles(money: Money, staff: Any) -> None:
    """With 'by priority', a payment for every line settles garbage (priority 1) before management."""
    FeeItem.objects.filter(pk=money.garbage.pk).update(priority=1)
    s = staff("finance")
    s.post("/staff/billing/settings/", SETTINGS)
    pay(s, money.unit, "portal-order-1", amount="20.00")
    settled = LedgerEntry.objects.filter(kind="settle").values_list("bill_line__fee_item__code", flat=True)
    assert sorted(settled) == ["garbage", "garbage"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"billing_day": "29"}, "billing_day"),
        ({"billing_day": "0"}, "billing_day"),
        ({"payment_due_day": "32"}, "payment_due_day"),
        ({"meter_anomaly_ratio": "1"}, "meter_anomaly_ratio"),
        ({"remind_hour_from": "18", "remind_hour_to": "9"}, "remind_hour_to"),
        ({"remind_hour_to": "25"}, "remind_hour_to"),
        ({"settlement_order": "newest_first"}, "settlement_order"),
        ({"sanctions": ["no_water"]}, "sanctions"),
    ],
)
def test_bad_billing_settings_are_field_errors(money: Money, staff: Any, change: Any, field: str) -> None:
    response = staff("finance").post("/staff/billing/settings/", {**SETTINGS, **change})
    assert response.status_code == 400 and field_errors(response, field)
    assert CompanySettings.objects.get().billing_day == 1
    assert BillingSettings.load().settlement_order == "oldest_first"
    assert not AuditEntry.objects.filter(action="billing.settings_update").exists()


# --- who may, and what they see ---------------------------------------------------------------------------------


def urls(m: Money) -> dict[str, str]:
    return {
        "payment": payment_url(m.unit),
        "deposits": deposits_url(m.unit),
        "adhoc": adhoc_url(m.unit),
        "waivers": "/staff/billing/waivers/",
        "settings": "/staff/billing/settings/",
        "waiver": waiver_url(mgmt_line(m)),
    }


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        (["finance"], {"payment", "deposits", "adhoc", "waivers", "settings", "waiver"}),
        (["company_admin"], {"payment", "deposits", "adhoc", "waivers", "settings", "waiver"}),
        (["customer_service"], {"waiver"}),
        (["engineer"], set()),
        (["security"], set()),
        (["resident"], set()),
    ],
)
def test_pages_by_role(money: Money, staff: Any, roles: list[str], allowed: set[str]) -> None:
    s = staff(*roles)
    for name, url in urls(money).items():
        assert s.get(url).status_code == (200 if name in allowed else 403), (name, roles)
    if "payment" not in allowed:
        refused = pay(s, money.unit, "portal-denied-1")
        assert refused.status_code == 403 and not Payment.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(money: Money, tenant_a: Any, client_for: Any) -> None:
    client = client_for(tenant_a)
    for url in urls(money).values():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_units_outside_the_data_scope_are_404(money: Money, staff: Any) -> None:
    s = staff("finance", offices=[money.office.pk])
    assert s.get(payment_url(money.unit)).status_code == 200
    other = money.other_unit
    for url in (payment_url(other), deposits_url(other), adhoc_url(other), waiver_url(mgmt_line(money, other))):
        assert s.get(url).status_code == 404, url
    assert pay(s, other, "portal-scope-1", line_ids=line_ids(other), amount="100").status_code == 404
    deposit = ledger.deposit_hold(unit=other, amount=100, purpose="押金", method="cash")
    release = {"action": "release", "release-deposit": deposit.pk, "release-refund": "1", "release-reason": "x"}
    assert s.post(deposits_url(other), release).status_code == 404
    assert not Payment.objects.exists() and unit_account(other.pk).deposits_held == 100


def test_waivers_outside_the_data_scope_are_neither_listed_nor_decided(money: Money, staff: Any) -> None:
    asker = staff("finance")
    asker.post(waiver_url(mgmt_line(money, money.other_unit)), {"kind": "waiver", "amount": "5", "reason": "x"})
    waiver = WaiverRequest.objects.get()
    s = staff("finance", offices=[money.office.pk])
    assert f'data-waiver="{waiver.pk}"' not in s.get("/staff/billing/waivers/").content.decode()
    response = s.post("/staff/billing/waivers/", {"waiver": waiver.pk, "decision": "approve"})
    assert response.status_code == 404
    waiver.refresh_from_db()
    assert waiver.status == "pending"


def test_company_beta_sees_nothing_of_alpha(
    money: Money, staff: Any, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    staff("finance").post(waiver_url(mgmt_line(money)), {"kind": "waiver", "amount": "5", "reason": "阿尔法的减免"})
    waiver = WaiverRequest.objects.get()
    line = mgmt_line(money)
    beta_user = member(tenant_b, ["finance"])
    beta = Staff(client_for(tenant_b, beta_user), tenant_b, beta_user)
    connection.set_tenant(tenant_b)
    # the ids are alpha's: in beta's schema they name nothing
    assert not Unit.objects.filter(pk=money.unit.pk).exists()
    assert not BillLine.objects.filter(pk=line.pk).exists()
    assert beta.get(payment_url(money.unit)).status_code == 404
    assert beta.get(deposits_url(money.unit)).status_code == 404
    assert beta.get(adhoc_url(money.unit)).status_code == 404
    assert beta.get(waiver_url(line)).status_code == 404
    assert "阿尔法的减免" not in beta.get("/staff/billing/waivers/").content.decode()
    assert beta.post("/staff/billing/waivers/", {"waiver": waiver.pk, "decision": "approve"}).status_code == 404
    assert pay(beta, money.unit, "portal-beta-1").status_code == 404
    # alpha's staff are not members of beta
    alpha_user = staff("finance").user
    alpha_on_beta = Staff(client_for(tenant_b, alpha_user), tenant_b, alpha_user)
    assert alpha_on_beta.get(payment_url(money.unit)).status_code in (302, 403, 404)
    connection.set_tenant(tenant_a)
    waiver.refresh_from_db()
    assert waiver.status == "pending" and not Payment.objects.exists()


# --- the include templates on the statement page ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "unit_links", "waiver_link"),
    [
        (["finance"], True, True),
        (["company_admin"], True, True),
        (["customer_service"], False, True),
        (["engineer"], False, False),
        (["resident"], False, False),
        (None, False, False),
    ],
)
def test_the_action_includes_show_links_only_to_allowed_roles(
    money: Money, tenant_a: Any, member: Any, roles: Any, unit_links: bool, waiver_link: bool
) -> None:
    membership = None
    if roles is not None:
        user = member(tenant_a, roles)
        membership = Membership.objects.get(user=user, tenant=tenant_a)
    unit_html = render_to_string(
        "portal/staff/billing/_unit_actions.html", {"unit": money.unit, "can": Can(membership)}
    )
    for url in (payment_url(money.unit), deposits_url(money.unit), adhoc_url(money.unit)):
        assert (f'href="{url}"' in unit_html) is unit_links, (roles, url)
    line = mgmt_line(money)
    line.owed = 20000  # type: ignore[attr-defined]
    line_html = render_to_string("portal/staff/billing/_line_actions.html", {"line": line, "can": Can(membership)})
    assert (f'href="{waiver_url(line)}"' in line_html) is waiver_link
    if waiver_link:
        assert 'data-action="waiver"' in line_html
        line.owed, line.settled = 0, 20000  # type: ignore[attr-defined]
        paid_html = render_to_string("portal/staff/billing/_line_actions.html", {"line": line, "can": Can(membership)})
        assert 'data-action="correction"' in paid_html  # a paid line can still be corrected (红冲)
        line.owed, line.settled = 0, 0  # type: ignore[attr-defined]
        waived = render_to_string("portal/staff/billing/_line_actions.html", {"line": line, "can": Can(membership)})
        assert "href=" not in waived  # fully waived: nothing left to waive


def test_the_statement_page_offers_the_money_actions(money: Money, staff: Any) -> None:
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("portal:billing-statement", args=[money.unit.pk])
    except NoReverseMatch:
        pytest.skip("the statement page is not there yet")
    page = staff("finance").get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{payment_url(money.unit)}"' in html and f'href="{adhoc_url(money.unit)}"' in html
    assert f'href="{waiver_url(mgmt_line(money))}"' in html
    back = staff("finance").get(payment_url(money.unit)).content.decode()
    assert f'href="{url}"' in back  # and the money pages link back to it

"""The counter pages through the Django test client: find a home, take the money, land on the receipt; print
(and reprint) the PDF; void; list receipts; close the day. Residents, staff outside the data scope and other
companies see nothing."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from backend.accounts.models import Membership
from backend.billing import ledger
from backend.billing.models import LedgerEntry, Payment
from backend.billing.money import chinese_capital, yuan
from backend.billing.selectors import unit_account
from backend.payments.models import DayClose, Receipt
from backend.properties import services as registry
from tests.backend.billing.conftest import EVERYTHING, world  # noqa: F401  (the fixture)
from tests.backend.payments.conftest import Home, home, owed  # noqa: F401  (the fixture)

COUNTER = "/staff/payments/counter/"
RECEIPTS = "/staff/payments/receipts/"
DAY_CLOSE = "/staff/payments/day-close/"


class Staff:
    """A signed-in client that puts the ORM back on the company's schema after every request."""

    def __init__(self, client: Client, tenant: Any, user: Any) -> None:
        self.client, self.tenant, self.user = client, tenant, user
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def get(self, url: str, data: dict[str, Any] | None = None) -> Any:
        response = self.client.get(url, data or {})
        connection.set_tenant(self.tenant)
        return response

    def post(self, url: str, data: dict[str, Any]) -> Any:
        response = self.client.post(url, data)
        connection.set_tenant(self.tenant)
        return response


@pytest.fixture
def staff(home: Home, tenant_a: Any, member: Any, client_for: Any) -> Any:  # noqa: F811
    def make(*roles: str, offices: list[int] | None = None, name: str = "收银员") -> Staff:
        user = member(tenant_a, list(roles), name=name)
        if offices is not None:
            Membership.objects.filter(user=user, tenant=tenant_a).update(scope_all=False, scope_office_ids=offices)
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        return Staff(client, tenant_a, user)

    return make


def unit_url(home: Home) -> str:  # noqa: F811
    return f"{COUNTER}?unit={home.unit.pk}"


def hidden_key(response: Any) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', response.content.decode())
    assert match, "the form carries an idempotency key"
    return match.group(1)


def field_errors(response: Any, name: str) -> list[str]:
    return re.findall(rf'data-error-for="{name}">([^<]*)<', response.content.decode())


def pdf_text(response: Any) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def take(s: Staff, home: Home, key: str, **data: Any) -> Any:  # noqa: F811
    first = home.jan[0]
    body = {
        "mode": "lines",
        "line_ids": [str(first.pk)],
        "amount": f"{(owed(first) + 5000) / 100:.2f}",
        "method": "cash",
        "payer_name": "王业主",
        "remainder_to_prepaid": "on",
        "idempotency_key": key,
    }
    body.update(data)
    return s.post(unit_url(home), body)


# --- the counter ----------------------------------------------------------------------------------------------


def test_the_counter_finds_the_home_by_name_and_phone(home: Home, staff: Any) -> None:  # noqa: F811
    s = staff("finance")
    for q in ("王业主", "13811112222", home.unit.label):
        page = s.get(COUNTER, {"q": q})
        assert page.status_code == 200
        assert re.findall(r'data-result-unit="(\d+)"', page.content.decode()) == [str(home.unit.pk)], q
    assert 'data-result-unit="' not in s.get(COUNTER, {"q": "没有这个人"}).content.decode()


def test_taking_cash_for_a_line_with_the_rest_to_prepaid_lands_on_the_receipt(
    home: Home,  # noqa: F811
    staff: Any,
) -> None:
    s = staff("finance")
    page = s.get(unit_url(home))
    html = page.content.decode()
    assert page.status_code == 200
    assert sorted(re.findall(r'name="line_ids" value="(\d+)"', html)) == sorted(str(line.pk) for line in home.jan)
    assert re.search(r"data-owed>" + re.escape(yuan(unit_account(home.unit.pk).owed)) + "<", html)
    key = hidden_key(page)
    first = home.jan[0]
    amount = first.amount + 5000
    response = take(s, home, key)
    assert response.status_code == 302
    payment = Payment.objects.get(unit=home.unit)
    receipt = Receipt.objects.get(payment=payment)
    assert response["Location"] == f"{RECEIPTS}{receipt.pk}/"
    assert (payment.amount, payment.method, payment.channel, payment.recorded_by_id, payment.payer_name) == (
        amount,
        "cash",
        "counter",
        s.user.pk,
        "王业主",
    )
    assert owed(first) == 0 and unit_account(home.unit.pk).prepaid == 5000
    detail = s.get(response["Location"]).content.decode()
    assert receipt.number in detail and chinese_capital(amount) in detail
    assert re.search(r"data-receipt-total>" + re.escape(yuan(amount)) + "<", detail)
    assert "data-receipt-prepaid" in detail and first.fee_item.name in detail
    # the same form sent again (a double click, a reload) records nothing more and shows the same receipt
    again = take(s, home, key)
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Payment.objects.count() == 1 and Receipt.objects.count() == 1


def test_a_bad_amount_is_a_field_error_and_nothing_is_lost(home: Home, staff: Any) -> None:  # noqa: F811
    s = staff("finance")
    key = hidden_key(s.get(unit_url(home)))
    response = take(s, home, key, amount="12.345", payer_name="李四", note="三月物业费")
    assert response.status_code == 400
    assert field_errors(response, "amount") == ["An amount has at most two decimals (fen)."]
    html = response.content.decode()
    assert 'value="李四"' in html and 'value="三月物业费"' in html and f'value="{key}"' in html
    assert re.search(rf'name="line_ids" value="{home.jan[0].pk}"[^>]*checked', html)
    assert not Payment.objects.exists() and not Receipt.objects.exists()


def test_a_transfer_without_its_reference_is_a_field_error(home: Home, staff: Any) -> None:  # noqa: F811
    s = staff("company_admin")
    key = hidden_key(s.get(unit_url(home)))
    response = take(s, home, key, method="bank_transfer", reference="")
    assert response.status_code == 400
    assert field_errors(response, "reference") == ["Enter the slip or transfer reference."]
    assert not Payment.objects.exists()
    assert take(s, home, key, method="bank_transfer", reference="TX-20260203-1").status_code == 302
    assert Payment.objects.get().reference == "TX-20260203-1"


# --- receipts: print, reprint, void, list -------------------------------------------------------------------------


def test_the_first_download_is_the_original_and_the_next_are_marked_reprints(
    home: Home,  # noqa: F811
    staff: Any,
) -> None:
    s = staff("finance")
    take(s, home, hidden_key(s.get(unit_url(home))))
    receipt = Receipt.objects.get()
    original = pdf_text(s.get(f"{RECEIPTS}{receipt.pk}/pdf/"))
    copy = pdf_text(s.get(f"{RECEIPTS}{receipt.pk}/pdf/"))
    assert receipt.number in original and "补打" not in original
    assert "补打" in copy and chinese_capital(receipt.payment.amount) in copy
    receipt.refresh_from_db()
    assert receipt.print_count == 2
    assert "Reprint (补打) PDF" in s.get(f"{RECEIPTS}{receipt.pk}/").content.decode()


def test_voiding_from_the_receipt_page_needs_a_reason_and_reopens_the_line(
    home: Home,  # noqa: F811
    staff: Any,
) -> None:
    s = staff("finance")
    take(s, home, hidden_key(s.get(unit_url(home))))
    receipt = Receipt.objects.get()
    url = f"{RECEIPTS}{receipt.pk}/"
    refused = s.post(url, {"reason": "  "})
    assert refused.status_code == 400 and field_errors(refused, "reason") == ["Give a reason for voiding the receipt."]
    receipt.refresh_from_db()
    assert receipt.status == "valid"
    done = s.post(url, {"reason": "收错了户"})
    assert done.status_code == 302
    receipt.refresh_from_db()
    assert receipt.status == "voided" and owed(home.jan[0]) == home.jan[0].amount
    page = s.get(url).content.decode()
    assert "data-receipt-void" in page and "收错了户" in page and "data-void-form" not in page
    twice = s.post(url, {"reason": "再作废"})
    assert twice.status_code == 400 and field_errors(twice, "__all__") == ["This receipt is already void."]
    assert LedgerEntry.objects.filter(payment=receipt.payment, kind="refund").count() == 1


def test_an_online_receipt_offers_no_void_and_a_forced_void_is_refused_with_the_reason(
    home: Home,  # noqa: F811
    staff: Any,
) -> None:
    payment = ledger.payment_record(
        unit=home.unit, amount=1000, method="card", channel="online", reference="pi_1"
    ).payment
    receipt = Receipt.objects.get(payment=payment)
    s = staff("finance")
    page = s.get(f"{RECEIPTS}{receipt.pk}/").content.decode()
    assert "data-void-form" not in page and "Online payment (在线支付)" in page
    refused = s.post(f"{RECEIPTS}{receipt.pk}/", {"reason": "不要了"})
    assert refused.status_code == 400
    assert field_errors(refused, "__all__") == ["An online payment cannot be voided; refund it instead."]
    receipt.refresh_from_db()
    assert receipt.status == "valid"


def test_the_receipt_list_filters_by_method_status_cashier_and_number(home: Home, staff: Any) -> None:  # noqa: F811
    a = staff("finance", name="甲")
    b = staff("finance", name="乙")
    take(a, home, hidden_key(a.get(unit_url(home))))
    take(b, home, hidden_key(b.get(unit_url(home))), method="pos", reference="POS-1", line_ids=[], mode="topup")
    cash, pos = Receipt.objects.get(payment__method="cash"), Receipt.objects.get(payment__method="pos")

    def rows(**query: Any) -> list[int]:
        response = a.get(RECEIPTS, query)
        assert response.status_code == 200
        return sorted(int(pk) for pk in re.findall(r'data-receipt-row="(\d+)"', response.content.decode()))

    assert rows() == sorted([cash.pk, pos.pk])
    assert rows(method="pos") == [pos.pk]
    assert rows(cashier=a.user.pk) == [cash.pk]
    assert rows(q=pos.number) == [pos.pk]
    assert rows(q=cash.number) == [cash.pk]
    assert rows(day=timezone.localdate().isoformat()) == sorted([cash.pk, pos.pk])
    assert rows(day="2020-01-01") == []
    assert rows(status="voided") == []


# --- day close ------------------------------------------------------------------------------------------------


def test_closing_my_day_shows_it_closed_and_locks_my_counter(home: Home, staff: Any) -> None:  # noqa: F811
    s = staff("finance", name="收银员甲")
    take(s, home, hidden_key(s.get(unit_url(home))))
    payment = Payment.objects.get()
    page = s.get(DAY_CLOSE).content.decode()
    assert re.search(r"data-day-total>" + re.escape(yuan(payment.amount)) + "<", page)
    assert "data-close-my-day" in page and "收银员甲" in page
    today = timezone.localdate().isoformat()
    closed = s.post(DAY_CLOSE, {"day": today, "cashier": s.user.pk})
    assert closed.status_code == 302
    close = DayClose.objects.get()
    assert (close.cashier_id, close.closed_by_id, close.total, close.payment_count) == (
        s.user.pk,
        s.user.pk,
        payment.amount,
        1,
    )
    page = s.get(DAY_CLOSE).content.decode()
    assert "data-my-day-closed" in page and "data-close-my-day" not in page and f'data-closed-day="{close.pk}"' in page
    again = s.post(DAY_CLOSE, {"day": today, "cashier": s.user.pk})
    assert again.status_code == 400 and "already closed" in field_errors(again, "__all__")[0]
    # the counter refuses this cashier's money today and says why, keeping the form
    key = hidden_key(s.get(unit_url(home)))
    refused = take(s, home, key, mode="topup", line_ids=[], amount="10", payer_name="张三")
    assert refused.status_code == 400 and "is closed for this cashier" in field_errors(refused, "__all__")[0]
    assert 'value="张三"' in refused.content.decode()
    assert Payment.objects.count() == 1


def test_finance_may_close_the_day_of_another_cashier(home: Home, staff: Any) -> None:  # noqa: F811
    cashier = staff("finance", name="收银员乙")
    take(cashier, home, hidden_key(cashier.get(unit_url(home))))
    boss = staff("company_admin", name="财务主管")
    response = boss.post(
        DAY_CLOSE, {"day": timezone.localdate().isoformat(), "cashier": cashier.user.pk, "note": "代为日结"}
    )
    assert response.status_code == 302
    close = DayClose.objects.get()
    assert (close.cashier_id, close.closed_by_id, close.note) == (cashier.user.pk, boss.user.pk, "代为日结")
    page = boss.get(DAY_CLOSE).content.decode()
    assert "Closed by 财务主管" in page


# --- who may -----------------------------------------------------------------------------------------------------


def pages_of(receipt: Receipt) -> list[str]:
    return [COUNTER, RECEIPTS, DAY_CLOSE, f"{RECEIPTS}{receipt.pk}/", f"{RECEIPTS}{receipt.pk}/pdf/"]


@pytest.mark.parametrize("roles", [["resident"], ["customer_service"], ["engineer"]])
def test_other_roles_are_refused(home: Home, staff: Any, roles: list[str]) -> None:  # noqa: F811
    payment = ledger.payment_record(unit=home.unit, amount=1000, method="cash").payment
    receipt = Receipt.objects.get(payment=payment)
    s = staff(*roles)
    for url in pages_of(receipt):
        assert s.get(url).status_code == 403, url
    assert take(s, home, "portal-refused-1").status_code == 403
    assert s.post(f"{RECEIPTS}{receipt.pk}/", {"reason": "x"}).status_code == 403
    assert Payment.objects.count() == 1 and Receipt.objects.get().status == "valid"


def test_the_resident_of_the_home_is_refused_too(home: Home, tenant_a: Any) -> None:  # noqa: F811
    payment = ledger.payment_record(unit=home.unit, amount=1000, method="cash").payment
    receipt = Receipt.objects.get(payment=payment)
    for url in pages_of(receipt):
        response = home.client.get(url)
        connection.set_tenant(tenant_a)
        assert response.status_code == 403, url
    assert home.client.post(f"{RECEIPTS}{receipt.pk}/", {"reason": "x"}).status_code == 403
    connection.set_tenant(tenant_a)
    assert Receipt.objects.get().status == "valid" and Receipt.objects.get().print_count == 0


def test_signed_out_visitors_are_sent_to_sign_in(home: Home, tenant_a: Any, client_for: Any) -> None:  # noqa: F811
    payment = ledger.payment_record(unit=home.unit, amount=1000, method="cash").payment
    receipt = Receipt.objects.get(payment=payment)
    client = client_for(tenant_a)
    for url in pages_of(receipt):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_staff_outside_the_data_scope_get_404(home: Home, staff: Any) -> None:  # noqa: F811
    payment = ledger.payment_record(unit=home.unit, amount=1000, method="cash").payment
    receipt = Receipt.objects.get(payment=payment)
    elsewhere = registry.office_create(name="别处管理处", scope=EVERYTHING)
    s = staff("finance", offices=[elsewhere.pk])
    assert s.get(unit_url(home)).status_code == 404
    assert take(s, home, "portal-scope-1").status_code == 404
    assert s.get(f"{RECEIPTS}{receipt.pk}/").status_code == 404
    assert s.get(f"{RECEIPTS}{receipt.pk}/pdf/").status_code == 404
    assert s.post(f"{RECEIPTS}{receipt.pk}/", {"reason": "x"}).status_code == 404
    assert 'data-result-unit="' not in s.get(COUNTER, {"q": "王业主"}).content.decode()
    assert f'data-receipt-row="{receipt.pk}"' not in s.get(RECEIPTS).content.decode()
    assert Payment.objects.count() == 1 and Receipt.objects.get().print_count == 0


def test_company_beta_cannot_see_alphas_receipt(
    home: Home,  # noqa: F811
    staff: Any,
    tenant_a: Any,
    tenant_b: Any,
    member: Any,
    client_for: Any,
) -> None:
    payment = ledger.payment_record(unit=home.unit, amount=1000, method="cash", payer_name="阿尔法的业主").payment
    receipt = Receipt.objects.get(payment=payment)
    beta_user = member(tenant_b, ["finance"])
    beta = Staff(client_for(tenant_b, beta_user), tenant_b, beta_user)
    connection.set_tenant(tenant_b)
    assert not Receipt.objects.filter(pk=receipt.pk).exists()  # alpha's ids name nothing in beta's schema
    assert beta.get(f"{RECEIPTS}{receipt.pk}/").status_code == 404
    assert beta.get(f"{RECEIPTS}{receipt.pk}/pdf/").status_code == 404
    assert beta.post(f"{RECEIPTS}{receipt.pk}/", {"reason": "x"}).status_code == 404
    assert receipt.number not in beta.get(RECEIPTS).content.decode()
    assert "阿尔法的业主" not in beta.get(COUNTER, {"q": "王业主"}).content.decode()
    assert beta.get(unit_url(home)).status_code == 404
    alpha_user = staff("finance").user
    alpha_on_beta = Staff(client_for(tenant_b, alpha_user), tenant_b, alpha_user)
    assert alpha_on_beta.get(f"{RECEIPTS}{receipt.pk}/").status_code in (302, 403, 404)
    connection.set_tenant(tenant_a)
    receipt.refresh_from_db()
    assert receipt.status == "valid" and receipt.print_count == 0

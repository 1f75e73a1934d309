"""The staff's settlement, statement and reports pages and API (finance of this company only), the merchant's
statements pages and API (its own statements of every company, confirmed by it), in zh-hans; and the scope:
another company's staff, another merchant, a role without the permission never see a statement."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from backend.billing import ledger
from marketplace.models import MerchantMember
from marketplace.orders import flow
from marketplace.orders.flow import Item
from marketplace.orders.models import Order
from marketplace.settlement import statements
from marketplace.settlement.models import Statement
from marketplace.settlement_index.models import MerchantStatement
from tenants.db import connection
from tests.conftest import host_of
from tests.marketplace.orders.test_api_and_isolation import beta_home, merchant_api

from .conftest import Shop, buy
from .test_statements import in_month

pytestmark = pytest.mark.django_db


def staff(tenant: Any, member: Any, roles: list[str]) -> Client:
    user = member(tenant, roles)
    connection.set_tenant(tenant)
    client = Client(HTTP_HOST=host_of(tenant), HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user, backend="backend.accounts.backends.EmailOrPhoneBackend")
    return client


def merchant_portal(merchant: Any) -> Client:
    connection.set_schema_to_public()
    m = MerchantMember.objects.get(merchant=merchant)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(m.user, backend="backend.accounts.backends.EmailOrPhoneBackend")
    return client


def issued(shop: Shop) -> Statement:
    connection.set_tenant(shop.tenant)
    buy(shop, 2, now=in_month(-1))
    st = statements.statement_build(merchant_id=shop.fruit.pk, month=in_month(-1).date())
    assert st is not None
    return st


def test_finance_sees_the_statement_downloads_it_and_records_the_payout(funded: Shop, member: Any) -> None:
    st = issued(funded)
    client = staff(funded.tenant, member, ["finance"])
    page = client.get("/staff/marketplace/settlement/").content.decode()
    assert "结算" in page and st.code in page and "¥23.55" in page
    detail = client.get(f"/staff/marketplace/settlement/{st.pk}/").content.decode()
    assert "¥2.05" in detail and "data-pay-bank" not in detail  # not confirmed yet
    pdf = client.get(f"/staff/marketplace/settlement/{st.pk}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(f"/staff/marketplace/settlement/{st.pk}/statement.xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).active is not None
    connection.set_tenant(funded.tenant)
    statements.statement_confirm(statement_id=st.pk, merchant_id=funded.fruit.pk, user_id=None)
    assert "data-pay-bank" in client.get(f"/staff/marketplace/settlement/{st.pk}/").content.decode()
    done = client.post(f"/staff/marketplace/settlement/{st.pk}/", {"method": "bank", "reference": "ICBC-778"})
    assert done.status_code == 302
    connection.set_tenant(funded.tenant)
    assert Statement.objects.get(pk=st.pk).status == "paid"
    api = client.get(f"/api/v1/marketplace/statements/{st.pk}/").json()
    assert api["status"] == "paid" and api["payouts"][0]["reference"] == "ICBC-778" and len(api["entries"]) == 2
    assert client.get("/api/v1/marketplace/statements/").json()["results"][0]["code"] == st.code


def test_the_reports_show_sales_and_commission_by_merchant_category_and_month_with_a_chart(
    funded: Shop, member: Any
) -> None:
    issued(funded)
    client = staff(funded.tenant, member, ["customer_service"])
    page = client.get("/staff/marketplace/reports/?group=category").content.decode()
    assert "data-month-chart" in page and "<svg" in page and "¥2.05" in page and "¥25.60" in page
    assert "script src" not in page.split("data-month-chart")[1].split("</figure>")[0]
    assert client.get("/staff/marketplace/reports/?start=bad").status_code == 400
    xlsx = client.get("/staff/marketplace/reports/export.xlsx?group=merchant")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert ["鲜果坊", 1, 25.6, 0, 25.6, 2.05, 23.55] in rows
    api = client.get("/api/v1/marketplace/reports/sales/?group=month").json()
    assert api["total"]["commission_fen"] == 205
    # customer service reads reports but does not settle
    assert client.get("/staff/marketplace/settlement/").status_code == 403
    assert client.get("/api/v1/marketplace/statements/").status_code == 403


def test_another_companys_staff_never_see_a_statement(funded: Shop, member: Any, tenant_b: Any) -> None:
    beta_user, beta_unit = beta_home(tenant_b, member, funded)
    connection.set_tenant(tenant_b)
    ledger.payment_record(unit=beta_unit, amount=100000, method="cash", to_prepaid=True)
    flow.checkout(user=beta_user, unit=beta_unit, items=[Item(funded.apple.pk, 1)], now=in_month(-1))
    beta_statement = statements.statement_build(merchant_id=funded.fruit.pk, month=in_month(-1).date())
    assert beta_statement is not None
    alpha = staff(funded.tenant, member, ["finance"])
    assert alpha.get(f"/staff/marketplace/settlement/{beta_statement.pk}/").status_code == 404
    assert alpha.get(f"/staff/marketplace/settlement/{beta_statement.pk}/statement.pdf").status_code == 404
    assert alpha.get(f"/api/v1/marketplace/statements/{beta_statement.pk}/").status_code == 404
    assert alpha.get("/api/v1/marketplace/statements/").json()["results"] == []
    assert beta_statement.code not in alpha.get("/staff/marketplace/settlement/").content.decode()
    # …while the merchant sees its statements of both companies
    alpha_statement = issued(funded)
    connection.set_schema_to_public()
    rows = merchant_api(funded.fruit).get("/api/v1/merchant/statements/").json()["results"]
    assert {(r["company"], r["code"]) for r in rows} == {
        (tenant_b.name, beta_statement.code),
        (funded.tenant.name, alpha_statement.code),
    }


def test_the_merchant_confirms_its_statement_and_another_merchant_cannot_see_it(funded: Shop) -> None:
    st = issued(funded)
    connection.set_schema_to_public()
    entry = MerchantStatement.objects.get(statement_id=st.pk, tenant=funded.tenant)
    fruit = merchant_portal(funded.fruit)
    listing = fruit.get("/merchant/statements/").content.decode()
    assert st.code in listing and "结算单" in listing
    page = fruit.get(f"/merchant/statements/{entry.pk}/").content.decode()
    assert "data-confirm-statement" in page and "¥23.55" in page
    assert fruit.get(f"/merchant/statements/{entry.pk}/statement.pdf").content.startswith(b"%PDF")
    # the merchant's exports carry order codes and amounts, never the resident's name, phone or home
    sheet = load_workbook(io.BytesIO(fruit.get(f"/merchant/statements/{entry.pk}/statement.xlsx").content)).active
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    connection.set_tenant(funded.tenant)
    order = Order.objects.filter(merchant_id=funded.fruit.pk).first()
    assert order is not None and order.code in cells
    assert order.contact_name not in cells and order.unit_label not in cells
    assert not order.contact_phone or order.contact_phone not in cells
    connection.set_schema_to_public()
    other = merchant_portal(funded.cleaner)
    assert st.code not in other.get("/merchant/statements/").content.decode()
    for path in ("", "statement.pdf", "statement.xlsx"):
        assert other.get(f"/merchant/statements/{entry.pk}/{path}").status_code == 404
    assert other.post(f"/merchant/statements/{entry.pk}/confirm/").status_code == 404
    other_api = merchant_api(funded.cleaner)
    assert other_api.get(f"/api/v1/merchant/statements/{entry.pk}/").status_code == 404
    assert other_api.post(f"/api/v1/merchant/statements/{entry.pk}/confirm/").status_code == 404
    connection.set_tenant(funded.tenant)
    assert Statement.objects.get(pk=st.pk).confirmed_at is None
    assert fruit.post(f"/merchant/statements/{entry.pk}/confirm/").status_code == 302
    connection.set_tenant(funded.tenant)
    assert Statement.objects.get(pk=st.pk).status == "confirmed"
    connection.set_schema_to_public()
    api = merchant_api(funded.fruit).get(f"/api/v1/merchant/statements/{entry.pk}/").json()
    assert api["status"] == "confirmed" and api["company"] == funded.tenant.name and len(api["entries"]) == 2


def test_finance_pays_by_stripe_over_the_api_and_the_merchant_confirms_over_its_api(
    funded: Shop, member: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from marketplace.settlement import payouts
    from tests.marketplace.settlement.test_payouts import ACCOUNT, ReplayingClient

    st = issued(funded)
    connection.set_schema_to_public()
    entry = MerchantStatement.objects.get(statement_id=st.pk, tenant=funded.tenant)
    confirmed = merchant_api(funded.fruit).post(f"/api/v1/merchant/statements/{entry.pk}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    finance = staff(funded.tenant, member, ["finance"])
    account = finance.put(
        f"/api/v1/marketplace/payout-accounts/{funded.fruit.pk}/",
        {"stripe_account_id": ACCOUNT, "bank_name": "工商银行"},
        content_type="application/json",
    )
    assert account.status_code == 200 and account.json()["stripe_account_id"] == ACCOUNT
    bad = finance.put(
        f"/api/v1/marketplace/payout-accounts/{funded.fruit.pk}/",
        {"stripe_account_id": "12345"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert finance.get(f"/api/v1/marketplace/payout-accounts/{funded.cleaner.pk + 10_000}/").status_code == 404
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_recorded", "pk_test_recorded"
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    from backend.payments import providers

    http = ReplayingClient("transfer.json")
    monkeypatch.setattr(providers, "HTTP_CLIENT", http)
    monkeypatch.setattr(payouts, "OUTER_ATOMIC_BLOCKS", 1)
    paid = finance.post(
        f"/api/v1/marketplace/statements/{st.pk}/payout/",
        {"method": "stripe_transfer"},
        content_type="application/json",
    )
    assert paid.status_code == 200, paid.content
    assert (paid.json()["status"], paid.json()["reference"]) == ("paid", "tr_1QhSettlementRec01")
    again = finance.post(
        f"/api/v1/marketplace/statements/{st.pk}/payout/",
        {"method": "stripe_transfer"},
        content_type="application/json",
    )
    assert again.status_code == 409 and len(http.requests) == 1

"""Settlement end to end, in a real browser (a phone, zh-CN) against a real uvicorn: last month a resident of
示范物业 bought fruit (¥25.60 at 8%); the month's statement (结算单) shows the commission; the merchant signs in
on the platform site, reads it and confirms it; finance signs in on the company's site and records the bank
transfer that paid it, and both sides see it paid."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import asgi_server, free_port, subprocess_env
from tests.e2e.conftest import browser as browser  # noqa: PLC0414  (fixture)
from tests.e2e.conftest import committed as committed  # noqa: PLC0414  (fixture)
from tests.e2e.conftest import no_csp_violations as no_csp_violations  # noqa: PLC0414  (fixture)
from tests.e2e.test_marketplace_journey import PASSWORD, PHONE, _company, _sign_in

pytestmark = [pytest.mark.browser]


@pytest.fixture
def server(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[str]:
    port = free_port()
    with django_db_blocker.unblock():
        env = subprocess_env(PLATFORM_URL_PORT=f":{port}")
    with asgi_server(port, env, tmp_path_factory.mktemp("settlement") / "uvicorn.log") as where:
        yield where


def _build(tag: str) -> dict[str, Any]:
    from backend.accounts.models import Membership, User
    from backend.billing import ledger
    from backend.billing.periods import add_months, month_start
    from backend.properties.models import Unit
    from marketplace.company.models import CategorySetting
    from marketplace.orders import flow
    from marketplace.orders.flow import Item
    from marketplace.settlement import statements
    from tenants.db import company_time_zone, connection
    from tests.marketplace.factories import make_application, make_listing, make_merchant
    from tests.marketplace.merchant.conftest import licence_number

    company = _company("示范物业", "阳光花园", f"settle{tag}")
    finance = User.objects.create_user(email=f"finance-{tag}@example.test", password=PASSWORD, name="钱会计")
    Membership.objects.create(user=finance, tenant=company.tenant, roles=["finance"])
    owner = User.objects.create_user(email=f"owner-{tag}@merchant.test", password=PASSWORD, name="周老板")
    merchant = make_merchant(f"结算鲜果{tag}", owner=owner, licence_number=licence_number(uuid.uuid4().int % 9_000_000))
    make_application(
        merchant, company.tenant, status="approved", estates={company.estate.pk: "阳光花园"}, categories=["fruit"]
    )
    apple = make_listing(merchant, title="新鲜苹果", price_fen=1280)
    connection.set_tenant(company.tenant)
    CategorySetting.objects.create(category_code="fruit", commission_bp=800)
    unit = Unit.objects.get(building__estate=company.estate)
    ledger.payment_record(unit=unit, amount=100_000, method="cash", to_prepaid=True)
    tz = company_time_zone()
    last = add_months(month_start(dt.datetime.now(tz).date()), -1)
    bought = dt.datetime.combine(last.replace(day=12), dt.time(15), tzinfo=tz)
    (order,) = flow.checkout(user=company.resident, unit=unit, items=[Item(apple.pk, 2)], now=bought)
    assert order.status == "paid"
    statement = statements.statement_build(merchant_id=merchant.pk, month=last)
    assert statement is not None and statement.due_fen == 2355
    connection.set_schema_to_public()
    return {
        "company": company,
        "finance": finance,
        "owner": owner,
        "code": statement.code,
        "merchant_id": merchant.pk,
    }


@pytest.fixture
def world(committed: list[str], django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """示范物业 with finance, a merchant approved for 阳光花园, last month's paid order and its statement."""
    tag = uuid.uuid4().hex[:5]
    committed.append(f"settle{tag}")  # removed afterwards even when building fails half-way
    made: dict[str, Any] = {}

    def build() -> None:
        # In a thread of its own: Playwright's event loop holds this one, and the notices' push is async_to_sync.
        from django.db import connections

        with django_db_blocker.unblock():
            try:
                made.update(_build(tag))
            finally:
                connections.close_all()

    worker = threading.Thread(target=build)
    worker.start()
    worker.join(120)
    yield made
    from backend.accounts.models import User
    from marketplace.models import Merchant
    from tenants.db import connection

    with django_db_blocker.unblock():  # by name and e-mail: also what a build that failed half-way left
        connection.set_schema_to_public()
        Merchant.objects.filter(name=f"结算鲜果{tag}").delete()
        User.objects.filter(email=f"owner-{tag}@merchant.test").delete()  # finance: with the company (committed)


def test_the_merchant_confirms_the_months_statement_and_finance_pays_it(
    browser: Any, server: str, world: dict[str, Any]
) -> None:
    assert "code" in world, "the world was not built (see the captured log)"
    company, code = world["company"], world["code"]
    platform = f"http://localhost{server}"
    site = f"http://{company.slug}.localhost{server}"

    # The merchant, on the platform site: its statements of every company; this one shows the commission.
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{platform}/merchant/login/")
    page.fill("#id_username", world["owner"].email)
    page.fill("#id_password", PASSWORD)
    page.click("[data-merchant-login] button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{platform}/merchant/statements/")
    row = page.locator("[data-statement-row]").filter(has_text=code)
    assert "示范物业" in row.inner_text() and "¥23.55" in row.inner_text()
    row.locator("a").click()
    summary = page.locator("[data-summary]").inner_text()
    assert "佣金" in summary and "-¥2.05" in summary and "¥25.60" in summary and "应付金额" in summary
    page.click("[data-confirm-statement] button")
    page.locator("[data-confirmed]").wait_for()
    assert page.locator("[data-status]").get_attribute("data-status") == "confirmed"
    pdf = page.request.get(platform + (page.locator("[data-pdf]").get_attribute("href") or ""))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    # Finance, on the company's site: records the bank transfer that paid it.
    staff = _sign_in(browser, site, world["finance"].email)
    staff.goto(f"{site}/staff/marketplace/settlement/")
    assert "结算与付款" in staff.locator("h1").inner_text()
    staff.locator("[data-statements] a", has_text=code).click()
    staff.fill("[data-pay-bank] input[name=reference]", "ICBC20261201-0007")
    staff.click("[data-pay-bank] button[type=submit]")
    staff.wait_for_load_state()
    assert staff.locator("[data-status]").get_attribute("data-status") == "paid"
    assert "ICBC20261201-0007" in staff.locator("[data-payout]").inner_text()

    page.reload()
    assert page.locator("[data-status]").get_attribute("data-status") == "paid"
    assert "ICBC20261201-0007" in page.locator("[data-payout-status=paid]").inner_text()
